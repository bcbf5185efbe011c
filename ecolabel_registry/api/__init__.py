"""The HTTP layer: thin endpoints that call services and render their errors as RFC 9457 problems."""
