"""Serve stage, terminal face: the ``storyline`` command."""
