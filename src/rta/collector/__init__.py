"""The HTTP collector."""
