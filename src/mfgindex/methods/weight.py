"""weight methods."""
