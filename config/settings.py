"""Load the TOML configuration: shipped defaults overridden key by key, checked, paths resolved, and built
once into typed ``Settings`` (one dataclass per section, see config.sections): ``settings.outbox.daily_cap``.

Every problem is a ``ConfigError`` whose message is one line naming the key.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, get_type_hints

from config.errors import ConfigError
from config.sections import (AfisSettings, EtdSettings, FaxSettings, InstitutionsSettings, ItpcSettings,
                             LedgerSettings, MailboxSettings, OfficersSettings, OfficesSettings, OutagesSettings,
                             OutboxSettings, RulesSettings, TemplatesSettings, toml_key)

SHIPPED = Path(__file__).resolve().parent / "itpc.toml"

# Keys whose string values are file paths (resolved against the folder of the file that set them).
PATH_KEYS = {("ledger", "path"), ("ledger", "signing_key"), ("ledger", "checkpoint_file"), ("offices", "directory"),
             ("rules", "reasons"), ("rules", "traders"), ("templates", "directory"), ("outages", "page_directory"),
             ("institutions", "directory"), ("officers", "directory"), ("etd", "common_transit")}
# Keys whose values are URLs that may carry a relative maildir:// path.
URL_KEYS = {("mailbox", "url"), ("outbox", "url")}
SECRET_WORDS = ("password", "secret", "token")
VAR_PREFIX = "../var/"  # the shipped config's data paths: the checkout's var/, or an installed package's data folder


@dataclass(frozen=True)
class Settings:
    """The configuration, one typed attribute per TOML section (``settings.outbox.daily_cap``)."""
    mailbox: MailboxSettings
    outbox: OutboxSettings
    ledger: LedgerSettings
    offices: OfficesSettings
    fax: FaxSettings
    itpc: ItpcSettings
    institutions: InstitutionsSettings
    officers: OfficersSettings
    afis: AfisSettings
    rules: RulesSettings
    templates: TemplatesSettings
    outages: OutagesSettings
    etd: EtdSettings
    source: Path | None = None  # the user's file, None for shipped defaults only


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read shipped defaults, then the file named by ``path`` (or ITPC_CONFIG), key by key."""
    path = path or os.environ.get("ITPC_CONFIG") or None
    values = _resolve(_read(SHIPPED), SHIPPED.parent, var=None if in_checkout() else data_folder())
    user = None
    if path:
        user = Path(path).expanduser().resolve()
        if not user.is_file():
            raise ConfigError(f"--config: no such file {user}")
        overrides = _resolve(_read(user), user.parent)
        _merge(values, overrides)
    _check(values)
    return _build(values, user)


def read_toml(path: Path, *, what: str = "", error: type[ConfigError] = ConfigError) -> dict[str, Any]:
    """A TOML file of ours (the settings, the reason lists, the institutions list) as a dict; a file that cannot
    be read or is not TOML is one ``error`` naming the file (and ``what`` it is meant to hold)."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise error(f"{path}: cannot read{' ' + what if what else ''} ({exc.strerror})") from None


def _read(path: Path) -> dict[str, Any]:
    return read_toml(path)


def in_checkout() -> bool:
    """Whether the shipped config is that of a source checkout (embedded mode: data under the checkout's var/),
    not of an installed package (whose folder may be read-only: site-packages, ProtectSystem=strict)."""
    return (SHIPPED.parent.parent / "setup.cfg").is_file()


def data_folder() -> Path:
    """Where an installed package keeps its data when no configuration says: systemd's StateDirectory
    (/var/lib/itpc), else the user's data folder (~/.local/share/itpc)."""
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if state:
        return Path(state)
    import platformdirs  # 14 ms, and only for an installed package run by hand
    return Path(platformdirs.user_data_dir("itpc"))


def _resolve(tree: dict[str, Any], base: Path, var: Path | None = None) -> dict[str, Any]:
    """Paths made absolute against ``base``; with ``var``, the shipped "../var/..." paths go there instead."""
    out: dict[str, Any] = {}
    for section, table in tree.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{section}: expected a [{section}] table, found a {type(table).__name__}")
        out[section] = {}
        for key, value in table.items():
            if any(word in key.lower() for word in SECRET_WORDS):
                raise ConfigError(f"{section}.{key}: secrets are read from the environment, never from the file")
            if (section, key) in PATH_KEYS and isinstance(value, str) and value:
                value = str(_located(value, base, var))
            elif (section, key) in URL_KEYS and isinstance(value, str) and value.startswith("maildir://"):
                value = "maildir://" + str(_located(value[len("maildir://"):], base, var))
            out[section][key] = value
    return out


def _located(value: str, base: Path, var: Path | None) -> Path:
    if var is not None and value.startswith(VAR_PREFIX):
        return (var / value[len(VAR_PREFIX):]).resolve()
    return (base / Path(value).expanduser()).resolve()


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
                         ("outbox", "max_recipients"), ("ledger", "lock_timeout"), ("ledger", "checkpoint_every"), ("mailbox", "max_message_bytes"),
                         ("mailbox", "max_attachment_bytes")):
        if values[section][key] <= 0:
            raise ConfigError(f"{section}.{key}: must be greater than 0, found {values[section][key]!r}")
    offices = values["offices"]["directory"]
    if not Path(offices).is_file():
        raise ConfigError(f"offices.directory: no such file {offices}")
    institutions = values["institutions"]["directory"]
    if not isinstance(institutions, str) or not Path(institutions).is_file():
        raise ConfigError(f"institutions.directory: no such file {institutions}")
    officers = values["officers"]["directory"]
    if not isinstance(officers, str) or not Path(officers).is_file():
        raise ConfigError(f"officers.directory: no such file {officers}")
    common_transit = values["etd"]["common_transit"]
    if not isinstance(common_transit, str) or not Path(common_transit).is_file():
        raise ConfigError(f"etd.common_transit: no such file {common_transit}")
    liaison = values["afis"]["liaison_address"]
    if not isinstance(liaison, str) or liaison.count("@") != 1 or not all(liaison.split("@")):
        raise ConfigError(f"afis.liaison_address: expected an e-mail address, found {liaison!r}")


def _build(values: dict[str, Any], source: Path | None) -> Settings:
    """The typed settings from the merged and checked values, built once at load."""
    sections = {}
    for name, cls in section_classes().items():
        hints = get_type_hints(cls)
        table = values.get(name, {})
        kwargs = {}
        for item in fields(cls):
            key = toml_key(item)
            if key not in table:
                raise ConfigError(f"{name}.{key}: missing from the configuration")
            kwargs[item.name] = _typed(f"{name}.{key}", hints[item.name], table[key])
        sections[name] = cls(**kwargs)
    return Settings(**sections, source=source)


def section_classes() -> dict[str, type]:
    """TOML section name → its dataclass, in the order of the Settings fields."""
    hints = get_type_hints(Settings)
    return {f.name: hints[f.name] for f in fields(Settings) if f.name != "source"}


def _typed(name: str, hint: Any, value: Any) -> Any:
    # The values already have the shipped value's TOML type (checked in _merge); this only narrows them.
    if hint is int:
        return int(value)  # what the call sites' int() did before the settings were typed
    if hint is float:
        return float(value)
    if hint is str:
        return value
    if hint is Path:
        return Path(value)
    if hint == Path | None:
        return Path(value) if value else None
    if hint == tuple[str, ...]:
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{name}: expected a list of strings, found {value!r}")
        return tuple(value)
    raise TypeError(f"{name}: no conversion to {hint}")  # a new field type needs a case here
