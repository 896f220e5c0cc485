"""normalize methods."""
