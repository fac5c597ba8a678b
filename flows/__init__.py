"""Prefect flows and the `framewatch` CLI: thin shells over `pipeline`."""
