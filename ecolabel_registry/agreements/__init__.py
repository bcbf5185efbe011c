"""Mutual-recognition agreements: proposals, the parties' signatures, signed events, and lookups."""
