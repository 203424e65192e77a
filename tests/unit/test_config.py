"""Configuration: shipped defaults, key-by-key overrides, paths, one-line errors naming the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.settings import SHIPPED

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "itpc.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_defaults_put_data_under_the_project_var(monkeypatch):
    monkeypatch.delenv("ITPC_CONFIG", raising=False)
    settings = load_settings(None)
    assert settings.ledger.path == ROOT / "var" / "ledger"
    assert settings.mailbox.url == f"maildir://{ROOT / 'var' / 'inbox'}"
    assert settings.outbox.sender == "ITPC@lrmuitine.lt"
    assert settings.offices.directory.is_file()


def test_a_file_overrides_key_by_key_and_paths_are_relative_to_it(tmp_path):
    cfg = write(tmp_path, '[ledger]\npath = "data/ledger"\n[mailbox]\nurl = "maildir://in"\n')
    settings = load_settings(cfg)
    assert settings.ledger.path == tmp_path / "data" / "ledger"
    assert settings.mailbox.url == f"maildir://{tmp_path / 'in'}"
    assert settings.outbox.daily_cap == 10  # untouched keys keep the shipped value
    assert settings.offices.directory == SHIPPED.parent / "customs_offices.csv"


def test_itpc_config_environment_variable_names_the_file(tmp_path, monkeypatch):
    cfg = write(tmp_path, '[outbox]\ndaily_cap = 3\n')
    monkeypatch.setenv("ITPC_CONFIG", str(cfg))
    assert load_settings(None).outbox.daily_cap == 3


@pytest.mark.parametrize("text, key", [
    ('[ledger]\npaht = "x"\n', "ledger.paht"),
    ('[outbox]\ndaily_cap = "ten"\n', "outbox.daily_cap"),
    ('[outbox]\ndaily_cap = 0\n', "outbox.daily_cap"),
    ('[mailbox]\nurl = "var/inbox"\n', "mailbox.url"),
    ('[fax]\ngateway = "fax.lrmuitine.lt"\n', "fax.gateway"),
    ('[offices]\ndirectory = "nowhere.csv"\n', "offices.directory"),
    ('[outbox]\npassword = "hunter2"\n', "outbox.password"),
    ('[nosuch]\nkey = 1\n', "nosuch"),
    ('[rules]\nnotice_minutes = "soon"\n', "rules.notice_minutes"),
    ('[rules]\ntraders = 5\n', "rules.traders"),
    ('[institutions]\nfree_mail = "gmail.com"\n', "institutions.free_mail"),
    ('[institutions]\nfree_mail = ["gmail.com", 7]\n', "institutions.free_mail"),
    ('[institutions]\ndirectory = "nowhere.toml"\n', "institutions.directory"),
    ('[institutions]\ndomains = ["lrmuitine.lt"]\n', "institutions.domains"),
    ('[afis]\nliaison_address = "nobody"\n', "afis.liaison_address"),
])
def test_bad_values_are_refused_naming_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    message = str(err.value)
    assert message.startswith(key) and "\n" not in message


def test_invalid_toml_names_the_file(tmp_path):
    cfg = write(tmp_path, "[ledger\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg)
