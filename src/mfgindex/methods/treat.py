"""treat methods."""
