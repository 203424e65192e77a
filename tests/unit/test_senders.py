"""Who an address stands for (1B-1029:16, 1B-280:8): domains, public mail services, the same sender."""
from hypothesis import given, strategies as st

from responders.senders import address_of, domain_of, failed_authentication, in_domains, is_free_mail, same_sender

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


def test_a_from_domain_failing_dmarc_or_both_dkim_and_spf_is_doubted():
    said = {"authserv_id": "mail.lrmuitine.lt", "domain": "bkl.lt"}
    assert "bkl.lt fails DMARC" in failed_authentication({**said, "dmarc": "fail", "dkim": "pass", "spf": "pass"})
    assert "both DKIM and SPF" in failed_authentication({**said, "dmarc": "none", "dkim": "fail", "spf": "fail"})
    # DMARC's pass settles it; one failed check of two, or no result at all, proves nothing
    assert failed_authentication({**said, "dmarc": "pass", "dkim": "fail", "spf": "fail"}) == ""
    assert failed_authentication({**said, "dmarc": "none", "dkim": "fail", "spf": "pass"}) == ""
    assert failed_authentication({**said, "dmarc": "none", "dkim": "none", "spf": "none"}) == ""
    assert failed_authentication(None) == "" and failed_authentication({}) == ""
