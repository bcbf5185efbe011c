"""Open-data statistics, precomputed per checkpoint (refresh), read back by the API (service)."""
