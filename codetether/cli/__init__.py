"""Command-line adapter: parses arguments, calls the core, renders results. No business logic."""
