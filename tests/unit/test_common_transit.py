"""The common transit directory (1B-1052:16, 40): which countries are consulted how, and its loader's errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from config.common_transit import CommonTransitError, Standing, UnknownCountry, load_transit_countries, office_country
from config.errors import ConfigError
from config.settings import SHIPPED, load_settings

SHIPPED_DIRECTORY = SHIPPED.parent / "common_transit.toml"
EU = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
      "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
# The parties to the Convention named on the TAXUD page 1B-1052:40 refers to.
COMMON_TRANSIT = {"CH", "LI", "NO", "IS", "TR", "MK", "RS", "GB", "UA"}


@pytest.fixture(scope="module")
def shipped():
    return load_transit_countries(SHIPPED_DIRECTORY)


def test_the_settings_name_the_shipped_directory():
    assert load_settings().etd.common_transit == SHIPPED_DIRECTORY


def test_the_shipped_directory_holds_lithuania_the_other_26_member_states_and_the_common_transit_countries(shipped):
    assert shipped.home.code == "LT"
    assert {c.code for c in shipped.member_states} | {"LT"} == EU and len(shipped.member_states) == 26
    assert COMMON_TRANSIT <= {a.country.code for a in shipped.authorities}
    assert not EU & {a.country.code for a in shipped.authorities}


def test_a_member_state_is_consulted_in_msvs_a_common_transit_country_by_tc26_and_lithuania_not_at_all(shipped):
    assert shipped.standing_of_office("DE004000") is Standing.MEMBER_STATE
    assert shipped.standing_of_office("ch001234") is Standing.COMMON_TRANSIT
    assert shipped.standing_of_office("LTVR1000") is Standing.HOME
    assert shipped.standing("el") is Standing.MEMBER_STATE   # Greece as the EU writes it
    assert shipped.authority("NO").country.name_lt == "Norvegija"


def test_an_unknown_country_is_an_error_naming_the_code_and_the_file(shipped):
    with pytest.raises(UnknownCountry, match=r"'RU' is neither .*/common_transit\.toml"):
        shipped.standing_of_office("RU000001")
    with pytest.raises(UnknownCountry, match="member state: it is consulted in MSVS"):
        shipped.authority("PL")
    with pytest.raises(UnknownCountry, match="not a customs office reference number"):
        office_country("Vilnius")


def test_every_authority_has_an_address_and_an_unchecked_one_says_so_in_the_file(shipped):
    text = SHIPPED_DIRECTORY.read_text(encoding="utf-8")
    for authority in shipped.authorities:
        assert authority.name and "@" in authority.email and authority.country.name_en
        if not authority.verified:
            line = next(line for line in text.splitlines() if f'"{authority.email}"' in line)
            assert "TO VERIFY" in line


@pytest.mark.parametrize("text, message", [
    ("home = 3\n", "home: expected a table"),
    ('home = {code = "LT", name_lt = "Lietuva", name_en = "Lithuania"}\n', r"expected \[\[member_state\]\]"),
    ('home = {code = "LT", name_lt = "Lietuva", name_en = "Lithuania"}\n[[member_state]]\ncode = "Lenkija"\n',
     "member_state 1: code must be two capital letters"),
    ('home = {code = "LT", name_lt = "Lietuva", name_en = "Lithuania"}\n'
     '[[member_state]]\ncode = "PL"\nname_lt = "Lenkija"\nname_en = "Poland"\n'
     '[[common_transit]]\ncode = "NO"\nname_lt = "Norvegija"\nname_en = "Norway"\nauthority = "Toll"\n'
     'email = "toll"\nverified = false\n', r"common_transit 1 \(NO\): email must be an e-mail address"),
    ('home = {code = "LT", name_lt = "Lietuva", name_en = "Lithuania"}\n'
     '[[member_state]]\ncode = "LT"\nname_lt = "Lietuva"\nname_en = "Lithuania"\n'
     '[[common_transit]]\ncode = "NO"\nname_lt = "Norvegija"\nname_en = "Norway"\nauthority = "Toll"\n'
     'email = "post@toll.no"\nverified = false\n', "country LT is listed twice"),
    ("home = [", "not valid TOML"),
])
def test_a_malformed_directory_is_one_line_naming_the_file_and_the_entry(tmp_path, text, message):
    path = tmp_path / "ct.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommonTransitError, match=message) as err:
        load_transit_countries(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_missing_directory_is_named_by_the_settings_key(tmp_path):
    config = tmp_path / "itpc.toml"
    config.write_text('[etd]\ncommon_transit = "nowhere.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="etd.common_transit: no such file"):
        load_settings(config)
    assert load_settings(_with(tmp_path, "mine.toml")).etd.common_transit == tmp_path / "mine.toml"


def _with(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).write_text(SHIPPED_DIRECTORY.read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "mine-itpc.toml"
    config.write_text(f'[etd]\ncommon_transit = "{name}"\n', encoding="utf-8")
    return config
