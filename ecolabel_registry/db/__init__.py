"""Persistence: engine construction, table models and migrations."""
