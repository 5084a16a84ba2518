"""Shared building blocks: abstract models and small helpers. Not a Django app."""
