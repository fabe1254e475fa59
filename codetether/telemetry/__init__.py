"""Opt-in diagnostics. Nothing here sends data anywhere; reports stay on disk for the user."""
