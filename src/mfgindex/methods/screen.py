"""screen methods."""
