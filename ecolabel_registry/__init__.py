"""The eco-label registry service: HTTP API, persistence, transparency log and CLI.

Build an application with `ecolabel_registry.app.create_app(Settings(...))`; nothing is created at
import time.
"""
