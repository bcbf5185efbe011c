"""Procurement checks: one certificate or a whole catalogue, answered with registry-signed decisions."""
