"""Programmes: the eco-label bodies whose keys anchor every signature the registry accepts."""
