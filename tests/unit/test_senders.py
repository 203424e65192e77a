"""Who an address stands for (1B-1029:16, 1B-280:8): domains, public mail services, the same sender."""
from hypothesis import given, strategies as st

from responders.senders import address_of, domain_of, in_domains, is_free_mail, same_sender

FREE = ("gmail.com", "inbox.lt")


def test_an_organisation_s_domain_is_one_sender():
    assert same_sender("Rasa <rasa@bkl.lt>", "jonas@bkl.lt", FREE)
    assert not same_sender("rasa@bkl.lt", "rasa@bkl.lt.evil.com", FREE)
    assert not same_sender("rasa@bkl.lt", "", FREE)


def test_on_a_public_mail_service_only_the_same_address_is_the_same_sender():
    assert same_sender("Rasa@Gmail.com", "rasa@gmail.com", FREE)
    assert not same_sender("rasa@gmail.com", "mallory@gmail.com", FREE)
    assert not same_sender("rasa@bkl.lt", "rasa@inbox.lt", FREE)


def test_subdomains_belong_to_their_domain_but_look_alikes_do_not():
    assert in_domains("a@vilnius.lrmuitine.lt", ["lrmuitine.lt"])
    assert not in_domains("a@notlrmuitine.lt", ["lrmuitine.lt"])
    assert is_free_mail("x@mail.gmail.com", FREE)
    assert domain_of("Name <A@B.LT.>") == "b.lt"


def test_a_value_without_one_address_has_none():
    for value in ("", None, "no address", "a@b@c", "@b.lt", "a@"):
        assert address_of(value) == ""
        assert domain_of(value) == ""


@given(st.text(max_size=60))
def test_any_text_gives_an_address_or_nothing(value):
    address = address_of(value)
    assert address == "" or address.count("@") == 1
    assert same_sender(value, value, FREE) == bool(address)
