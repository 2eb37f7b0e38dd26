"""Text stage: cleaning, tokens, named entities, sparse features and shingle sketches."""
