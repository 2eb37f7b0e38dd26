"""Stories stage: name and explain a story (headline, summary, entities, timeline, coverage)."""
