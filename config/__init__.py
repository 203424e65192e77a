"""Shipped configuration (itpc.toml, customs offices, reason lists, templates) and the loader for it."""
from .settings import ConfigError, Settings, load_settings  # noqa: F401
