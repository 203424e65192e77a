"""Load the TOML configuration: shipped defaults overridden key by key, checked, paths resolved.

Every problem is a ``ConfigError`` whose message is one line naming the key.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.errors import ConfigError

SHIPPED = Path(__file__).resolve().parent / "itpc.toml"

# Keys whose string values are file paths (resolved against the folder of the file that set them).
PATH_KEYS = {("ledger", "path"), ("offices", "directory"), ("rules", "reasons"), ("rules", "traders"),
             ("templates", "directory"), ("outages", "page_directory")}
# Keys whose values are URLs that may carry a relative maildir:// path.
URL_KEYS = {("mailbox", "url"), ("outbox", "url")}
SECRET_WORDS = ("password", "secret", "token")




@dataclass(frozen=True)
class Settings:
    values: dict[str, dict[str, Any]]
    source: Path | None  # the user's file, None for shipped defaults only

    def get(self, section: str, key: str) -> Any:
        try:
            return self.values[section][key]
        except KeyError:
            raise ConfigError(f"{section}.{key}: missing from the configuration") from None

    def path(self, section: str, key: str) -> Path | None:
        value = self.get(section, key)
        return Path(value) if value else None

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    @property
    def ledger_dir(self) -> Path:
        return Path(self.get("ledger", "path"))


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read shipped defaults, then the file named by ``path`` (or ITPC_CONFIG), key by key."""
    path = path or os.environ.get("ITPC_CONFIG") or None
    values = _resolve(_read(SHIPPED), SHIPPED.parent)
    user = None
    if path:
        user = Path(path).expanduser().resolve()
        if not user.is_file():
            raise ConfigError(f"--config: no such file {user}")
        overrides = _resolve(_read(user), user.parent)
        _merge(values, overrides)
    _check(values)
    return Settings(values, user)


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _resolve(tree: dict[str, Any], base: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, table in tree.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{section}: expected a [{section}] table, found a {type(table).__name__}")
        out[section] = {}
        for key, value in table.items():
            if any(word in key.lower() for word in SECRET_WORDS):
                raise ConfigError(f"{section}.{key}: secrets are read from the environment, never from the file")
            if (section, key) in PATH_KEYS and isinstance(value, str) and value:
                value = str((base / Path(value).expanduser()).resolve())
            elif (section, key) in URL_KEYS and isinstance(value, str) and value.startswith("maildir://"):
                value = "maildir://" + str((base / Path(value[len("maildir://"):]).expanduser()).resolve())
            out[section][key] = value
    return out


def _merge(values: dict[str, Any], overrides: dict[str, Any]) -> None:
    for section, table in overrides.items():
        if section not in values:
            raise ConfigError(f"{section}: unknown section (known: {', '.join(sorted(values))})")
        for key, value in table.items():
            if key not in values[section]:
                raise ConfigError(f"{section}.{key}: unknown key")
            default = values[section][key]
            if not _same_type(default, value):
                raise ConfigError(f"{section}.{key}: expected {_type_name(default)}, found {value!r}")
            values[section][key] = value


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _type_name(value: Any) -> str:
    return {bool: "true or false", int: "a number", float: "a number", str: "a string",
            list: "a list"}.get(type(value), type(value).__name__)


def _check(values: dict[str, Any]) -> None:
    for section, key in URL_KEYS:
        url = values[section][key]
        if not url or "://" not in url:
            raise ConfigError(f"{section}.{key}: expected a URL such as maildir://var/inbox, found {url!r}")
    if "{number}" not in values["fax"]["gateway"]:
        raise ConfigError("fax.gateway: must contain {number}, e.g. \"{number}@fax.lrmuitine.lt\"")
    for section, key in (("mailbox", "batch"), ("mailbox", "timeout"), ("outbox", "daily_cap"),
                         ("ledger", "lock_timeout"), ("mailbox", "max_message_bytes"),
                         ("mailbox", "max_attachment_bytes")):
        if values[section][key] <= 0:
            raise ConfigError(f"{section}.{key}: must be greater than 0, found {values[section][key]!r}")
    offices = values["offices"]["directory"]
    if not Path(offices).is_file():
        raise ConfigError(f"offices.directory: no such file {offices}")
