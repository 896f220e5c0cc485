"""transform methods."""
