"""CLI command modules; each registers its commands on ``flows.app.app``."""
