"""Watchlists and signed webhooks, delivered at least once from a durable outbox."""
