"""The version of itpc-ledger this process runs: `itpc --version`, and the start line of `itpc run`."""
from __future__ import annotations

import configparser
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "itpc-ledger"  # [metadata] name in setup.cfg
SETUP_CFG = Path(__file__).resolve().parents[1] / "setup.cfg"


def version() -> str:
    """The installed package's version; from a checkout that is not installed, its setup.cfg's; else "unknown"."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    parser = configparser.ConfigParser()
    try:
        parser.read(SETUP_CFG, encoding="utf-8")
    except (OSError, configparser.Error):
        return "unknown"
    return parser.get("metadata", "version", fallback="unknown")
