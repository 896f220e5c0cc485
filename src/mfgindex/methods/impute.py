"""impute methods."""
