"""aggregate methods."""
