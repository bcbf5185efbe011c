"""Certificates: signed licences with their status history, submission, lookup and status events."""
