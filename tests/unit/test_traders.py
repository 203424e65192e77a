"""The traders registry: the addresses and faxes registered for an EORI, and those a request names that are not."""
from __future__ import annotations

from responders.traders import TraderRegistry


def registry(tmp_path) -> TraderRegistry:
    path = tmp_path / "traders.csv"
    path.write_text("eori,addresses\nLT302345671,Rasa@BKL.lt;deklaracijos@bkl.lt +370-5-2123456\n", encoding="utf-8")
    return TraderRegistry.load(path)


def test_every_address_and_fax_must_be_registered_for_the_eori(tmp_path):
    traders = registry(tmp_path)
    assert traders.knows("LT302345671", {"rasa@bkl.lt", "deklaracijos@bkl.lt", "+37052123456"})
    assert not traders.knows("LT302345671", {"rasa@bkl.lt", "mallory@evil.example"})
    assert traders.unregistered("LT302345671", {"rasa@bkl.lt", "mallory@evil.example", "+37052999999"}) == [
        "+37052999999", "mallory@evil.example"]


def test_a_fax_number_is_its_digits_however_it_is_written(tmp_path):
    assert registry(tmp_path).unregistered("LT302345671", {"+370 5 212 3456", "+370 (5) 212-3456"}) == []


def test_an_unknown_eori_knows_nobody(tmp_path):
    traders = registry(tmp_path)
    assert not traders.knows("LT999999999", {"rasa@bkl.lt"}) and not traders.knows(None, {"rasa@bkl.lt"})
    assert traders.unregistered("LT999999999", {"rasa@bkl.lt"}) == ["rasa@bkl.lt"]
