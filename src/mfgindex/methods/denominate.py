"""denominate methods."""
