"""Cluster stage: duplicates, candidate lookup, online assignment and merges."""
