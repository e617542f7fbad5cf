"""Profiles: what members say about themselves, their positions and education, member search."""
