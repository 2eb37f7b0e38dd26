"""Scoring predicted stories against gold labels."""
