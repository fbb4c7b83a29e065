"""Paperwire: a self-hosted research-paper hub."""
