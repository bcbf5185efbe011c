"""Operating the registry: Prometheus metrics, structured JSON logs and request ids."""
