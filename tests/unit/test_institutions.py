"""The institutions list (config/institutions.toml): who may send an AFIS/CIS+ request (1B-280:8)."""
from __future__ import annotations

import pytest

from config import load_settings
from config.errors import ConfigError
from responders.institutions import Institution, Institutions, load_institutions


@pytest.fixture(scope="module")
def shipped() -> Institutions:
    return load_institutions(load_settings(None).institutions.directory)


@pytest.mark.parametrize("address, name", [
    ("andrius.zemaitis@fntt.lt", "Finansinių nusikaltimų tyrimo tarnyba"),
    ("Rūta <ruta@vilnius.LRMUITINE.lt>", "Lietuvos Respublikos muitinė"),
    ("x@vmi.lt", "Valstybinė mokesčių inspekcija"),
    ("x@nma.lt", "Nacionalinė mokėjimo agentūra"),
])
def test_the_shipped_list_knows_the_institutions_that_ask(shipped, address, name):
    assert shipped.of(address).name.startswith(name)


@pytest.mark.parametrize("address", ["x@gmail.com", "x@fntt.lt.example.com", "x@notfntt.lt", "", "nobody"])
def test_other_addresses_belong_to_no_institution(shipped, address):
    assert shipped.of(address) is None


def test_the_longest_domain_names_the_institution():
    listed = Institutions((Institution("VRM", ("vrm.lt",)), Institution("VSAT", ("vsat.vrm.lt",))))
    assert listed.of("a@vsat.vrm.lt").name == "VSAT" and listed.of("a@vrm.lt").name == "VRM"


@pytest.mark.parametrize("text", ["", '[[institution]]\nname = "X"\n',
                                  '[[institution]]\nname = ""\ndomains = ["x.lt"]\n',
                                  '[[institution]]\nname = "X"\ndomains = [7]\n', "[[institution\n"])
def test_a_bad_list_is_one_config_error_naming_the_file(tmp_path, text):
    path = tmp_path / "institutions.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_institutions(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)
