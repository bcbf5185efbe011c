"""Equivalence: is a certificate or category acceptable for a requirement on a date, and why (also as TRQP v2)."""
