"""A reverse Polish notation calculator."""
