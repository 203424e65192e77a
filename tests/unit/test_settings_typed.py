"""Typed settings: every key of the shipped itpc.toml has a field of the right type, built once at load."""
from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import get_type_hints

import pytest

import config.settings as settings_module
from config import ConfigError, MailboxSettings, OutboxSettings, Settings, load_settings
from config.sections import toml_key
from config.settings import PATH_KEYS, SHIPPED, section_classes

SHIPPED_TOML = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
# The TOML type each field type stands for (what _merge checks a user's value against).
TOML_TYPES = {str: str, int: (int, float), float: (int, float), Path: str, Path | None: str,
              tuple[str, ...]: list}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "itpc.toml"
    path.write_text(text, encoding="utf-8")
    return path


def keys_of(cls: type) -> dict[str, type]:
    """TOML key → field type of one section class."""
    hints = get_type_hints(cls)
    return {toml_key(f): hints[f.name] for f in dataclasses.fields(cls)}


@pytest.fixture(scope="module")
def shipped() -> Settings:
    with pytest.MonkeyPatch.context() as mp:  # the developer's ITPC_CONFIG must not leak in
        mp.delenv("ITPC_CONFIG", raising=False)
        return load_settings(None)


def test_every_shipped_section_has_a_settings_attribute_and_no_more():
    assert set(section_classes()) == set(SHIPPED_TOML)


@pytest.mark.parametrize("section", sorted(SHIPPED_TOML))
def test_every_shipped_key_has_a_field_of_its_toml_type(section):
    fields = keys_of(section_classes()[section])
    assert set(fields) == set(SHIPPED_TOML[section]), "a key in itpc.toml without a field, or a field without a key"
    for key, value in SHIPPED_TOML[section].items():
        assert isinstance(value, TOML_TYPES[fields[key]]), f"{section}.{key}: {value!r} is not a {fields[key]}"


def test_shipped_values_are_built_into_their_field_types(shipped):
    for section, cls in section_classes().items():
        part = getattr(shipped, section)
        assert isinstance(part, cls) and dataclasses.is_dataclass(part)
        for name, hint in get_type_hints(cls).items():
            value = getattr(part, name)
            if hint == Path | None:
                assert value is None or isinstance(value, Path), f"{section}.{name}"
            elif hint == tuple[str, ...]:
                assert isinstance(value, tuple) and all(isinstance(v, str) for v in value), f"{section}.{name}"
            else:
                assert isinstance(value, hint), f"{section}.{name}: {value!r} is not a {hint.__name__}"


def test_path_fields_are_the_keys_resolved_against_their_file_and_are_absolute(shipped):
    typed = {(s, key) for s, cls in section_classes().items()
             for key, hint in keys_of(cls).items() if hint in (Path, Path | None)}
    assert typed == PATH_KEYS
    for section, key in PATH_KEYS:
        name = next(f.name for f in dataclasses.fields(section_classes()[section]) if toml_key(f) == key)
        value = getattr(getattr(shipped, section), name)
        assert value is None or (isinstance(value, Path) and value.is_absolute()), f"{section}.{key}"
    assert shipped.rules.traders is None  # the shipped file leaves the optional registry empty


def test_outbox_from_is_the_sender_field(tmp_path):
    settings = load_settings(write(tmp_path, '[outbox]\nfrom = "itpc-test@lrmuitine.lt"\n'))
    assert settings.outbox.sender == "itpc-test@lrmuitine.lt"


def test_a_user_file_overriding_numbers_gives_int_and_float_fields(tmp_path):
    settings = load_settings(write(tmp_path, "[outbox]\ndaily_cap = 3\ntimeout = 2\nretry_seconds = 0.5\n"
                                             "[rules]\ndecision_deadline_minutes = 60\nafis_correction_days = 4\n"))
    assert settings.outbox.daily_cap == 3 and type(settings.outbox.daily_cap) is int
    assert settings.outbox.timeout == 2.0 and type(settings.outbox.timeout) is float
    assert settings.outbox.retry_seconds == 0.5
    assert settings.rules.decision_deadline_minutes == 60.0 and type(settings.rules.decision_deadline_minutes) is float
    assert settings.rules.afis_correction_days == 4 and type(settings.rules.afis_correction_days) is int


def test_a_user_file_overriding_paths_gives_absolute_paths_relative_to_it(tmp_path):
    (tmp_path / "traders.csv").write_text("eori,address\n", encoding="utf-8")
    settings = load_settings(write(tmp_path, '[rules]\ntraders = "traders.csv"\n[templates]\ndirectory = "tpl"\n'))
    assert settings.rules.traders == tmp_path / "traders.csv"
    assert settings.templates.directory == tmp_path / "tpl"
    assert settings.source == tmp_path / "itpc.toml"


def test_lists_become_tuples_of_strings(tmp_path):
    settings = load_settings(write(tmp_path, '[institutions]\nfree_mail = ["gmail.com", "inbox.lt"]\n'))
    assert settings.institutions.free_mail == ("gmail.com", "inbox.lt")
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, '[institutions]\nfree_mail = ["gmail.com", 7]\n'))
    assert str(err.value).startswith("institutions.free_mail: expected a list of strings")


def test_the_institutions_list_is_a_path_relative_to_the_file_that_names_it(tmp_path, shipped):
    assert shipped.institutions.directory == SHIPPED.parent / "institutions.toml"
    (tmp_path / "mine.toml").write_text('[[institution]]\nname = "X"\ndomains = ["x.lt"]\n', encoding="utf-8")
    settings = load_settings(write(tmp_path, '[institutions]\ndirectory = "mine.toml"\n'))
    assert settings.institutions.directory == tmp_path / "mine.toml"


def test_the_afis_liaison_address_is_a_setting(tmp_path, shipped):
    assert "@" in shipped.afis.liaison_address
    assert load_settings(write(tmp_path, '[afis]\nliaison_address = "ryshiai@lrmuitine.lt"\n')) \
        .afis.liaison_address == "ryshiai@lrmuitine.lt"


def test_settings_are_frozen(shipped):
    with pytest.raises(dataclasses.FrozenInstanceError):
        shipped.outbox.daily_cap = 99
    with pytest.raises(dataclasses.FrozenInstanceError):
        shipped.outbox = OutboxSettings()


def test_a_changed_copy_is_made_with_dataclasses_replace(shipped):
    # How a test or a script changes one value: the loaded settings are never mutated.
    changed = dataclasses.replace(shipped, outbox=dataclasses.replace(shipped.outbox, daily_cap=1))
    assert (changed.outbox.daily_cap, shipped.outbox.daily_cap) == (1, 10)
    assert changed.ledger is shipped.ledger


@pytest.mark.parametrize("cls, section", [(MailboxSettings, "mailbox"), (OutboxSettings, "outbox")])
def test_section_defaults_for_callers_without_settings_are_the_shipped_values(cls, section):
    defaults = cls()
    for f in dataclasses.fields(cls):
        if f.name == "url":
            assert defaults.url == ""  # no default mailbox or outbox: such a caller names its own URL
            continue
        shipped = SHIPPED_TOML[section][toml_key(f)]
        shipped = tuple(shipped) if isinstance(shipped, list) else shipped  # a TOML list is a typed tuple
        assert getattr(defaults, f.name) == shipped, f"{section}.{toml_key(f)}"


# -- an installed package keeps its data outside site-packages (issue 13, item 12) ---------------------------

def test_an_installed_package_keeps_its_data_in_systemd_s_state_directory(monkeypatch, tmp_path):
    monkeypatch.setattr(settings_module, "in_checkout", lambda: False)
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "state"))
    monkeypatch.delenv("ITPC_CONFIG", raising=False)
    loaded = load_settings()
    assert loaded.ledger.path == tmp_path / "state" / "ledger"
    assert loaded.mailbox.url == f"maildir://{tmp_path / 'state' / 'inbox'}"
    assert loaded.outages.page_directory == tmp_path / "state" / "outages"
    assert loaded.templates.directory == settings_module.SHIPPED.parent / "templates"  # shipped data stays


def test_without_systemd_an_installed_package_uses_the_user_s_data_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(settings_module, "in_checkout", lambda: False)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.delenv("ITPC_CONFIG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert load_settings().ledger.path == tmp_path / "share" / "itpc" / "ledger"


def test_a_checkout_keeps_its_data_under_var():
    assert settings_module.in_checkout()
    assert load_settings().ledger.path == settings_module.SHIPPED.parent.parent / "var" / "ledger"
