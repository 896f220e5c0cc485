"""classify methods."""
