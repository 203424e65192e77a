"""Reading our mail server's Authentication-Results (RFC 8601) for the From domain: only our authserv-id, only
on top of the message (above where it entered our servers), each method for the From domain only."""
from __future__ import annotations

from hypothesis import given, strategies as st

import ingest.authresults as authresults
from ingest.authresults import authentication_verdict

OURS = ("mail.lrmuitine.lt",)
RELAYS = ("mail.lrmuitine.lt",)
RECEIVED = ("Received: from mx.example.net (mx.example.net [192.0.2.10])\r\n"
            "\tby mail.lrmuitine.lt with ESMTPS; Mon, 23 Nov 2026 08:41:00 +0200\r\n")
SENDERS_OWN = ("From: Rasa <rasa.petrauskiene@bkl.lt>\r\nTo: ITPC@lrmuitine.lt\r\nSubject: Prašymas\r\n"
               "Message-ID: <1@bkl.lt>\r\n")


def message(above: str = "", below: str = "", received: str = RECEIVED) -> bytes:
    """Headers ``above`` our server's Received: line (ours), and ``below`` it (what the sender wrote)."""
    return (above + received + below + SENDERS_OWN + "\r\nLaba diena,\r\n").encode()


def verdict(raw: bytes, domain: str = "bkl.lt"):
    return authentication_verdict(raw, OURS, RELAYS, domain)


def test_our_servers_dmarc_fail_for_the_from_domain_is_read():
    found = verdict(message("Authentication-Results: mail.lrmuitine.lt; dmarc=fail header.from=bkl.lt\r\n"))
    assert found == {"authserv_id": "mail.lrmuitine.lt", "domain": "bkl.lt",
                     "dmarc": "fail", "dkim": "none", "spf": "none"}


def test_a_folded_header_with_comments_and_every_method():
    header = ("Authentication-Results: mail.lrmuitine.lt 1;\r\n"
              "\tdkim=pass (2048-bit key) header.d=bkl.lt header.i=@bkl.lt;\r\n"
              "\tspf=pass (sender IP is 192.0.2.10) smtp.mailfrom=bounce@bkl.lt;\r\n"
              "\tdmarc=pass (p=REJECT) header.from=bkl.lt\r\n")
    assert verdict(message(header)) == {"authserv_id": "mail.lrmuitine.lt", "domain": "bkl.lt",
                                        "dmarc": "pass", "dkim": "pass", "spf": "pass"}


def test_another_authserv_id_is_not_ours_and_says_nothing():
    assert verdict(message("Authentication-Results: mx.bkl.lt; dmarc=pass header.from=bkl.lt\r\n")) is None
    assert verdict(message(below="Authentication-Results: mx.bkl.lt; dmarc=fail header.from=bkl.lt\r\n")) is None


def test_our_id_written_by_the_sender_below_our_received_line_is_ignored():
    fake = "Authentication-Results: mail.lrmuitine.lt; dmarc=pass header.from=bkl.lt\r\n"
    assert verdict(message(below=fake)) is None
    real = "Authentication-Results: mail.lrmuitine.lt; dmarc=fail header.from=bkl.lt\r\n"
    assert verdict(message(above=real, below=fake))["dmarc"] == "fail"


def test_below_our_own_relays_the_senders_world_begins():
    # Two hops of ours: the border server's verdict sits above its own line, under the inner relay's.
    inner = "Received: from mail.lrmuitine.lt by mail.lrmuitine.lt; Mon, 23 Nov 2026 08:41:02 +0200\r\n"
    real = "Authentication-Results: mail.lrmuitine.lt; dmarc=fail header.from=bkl.lt\r\n"
    fake = "Authentication-Results: mail.lrmuitine.lt; dmarc=pass header.from=bkl.lt\r\n"
    foreign = "Received: from pc.bkl.lt by smtp.bkl.lt; Mon, 23 Nov 2026 08:40:00 +0200\r\n"
    raw = message(above=inner + real, below=fake + foreign)
    assert verdict(raw)["dmarc"] == "fail"


def test_a_message_that_passed_no_server_trusts_only_the_headers_on_top():
    top = "Authentication-Results: mail.lrmuitine.lt; dmarc=fail header.from=bkl.lt\r\n"
    assert verdict(message(above=top, received=""))["dmarc"] == "fail"
    under_the_senders_own = (SENDERS_OWN + top + "\r\nLaba diena,\r\n").encode()
    assert verdict(under_the_senders_own) is None


def test_results_for_another_domain_say_nothing_about_the_from_domain():
    header = ("Authentication-Results: mail.lrmuitine.lt; dkim=pass header.d=mallory.example;"
              " spf=pass smtp.mailfrom=x@mallory.example; dmarc=fail header.from=bkl.lt\r\n")
    found = verdict(message(header))
    assert (found["dmarc"], found["dkim"], found["spf"]) == ("fail", "none", "none")
    # a subdomain is aligned with its organisation's domain (relaxed alignment)
    sub = ("Authentication-Results: mail.lrmuitine.lt; dkim=fail header.d=mail.bkl.lt;"
           " spf=softfail smtp.mailfrom=bkl.lt\r\n")
    found = verdict(message(sub))
    assert (found["dkim"], found["spf"]) == ("fail", "fail")


def test_one_good_dkim_signature_is_enough_but_one_failed_dmarc_check_is_a_failure():
    header = ("Authentication-Results: mail.lrmuitine.lt; dkim=fail header.d=bkl.lt; dkim=pass header.d=bkl.lt\r\n"
              "Authentication-Results: mail.lrmuitine.lt; dmarc=pass header.from=bkl.lt\r\n"
              "Authentication-Results: mail.lrmuitine.lt; dmarc=fail header.from=bkl.lt\r\n")
    found = verdict(message(header))
    assert (found["dkim"], found["dmarc"]) == ("pass", "fail")


def test_nothing_is_read_without_a_configured_authserv_id():
    raw = message("Authentication-Results: mail.lrmuitine.lt; dmarc=fail header.from=bkl.lt\r\n")
    assert authentication_verdict(raw, (), RELAYS, "bkl.lt") is None
    assert authentication_verdict(raw, ("MAIL.LRMUITINE.LT.",), RELAYS, "bkl.lt")["dmarc"] == "fail"


@given(st.text(max_size=200))
def test_any_header_text_gives_a_verdict_or_none_and_never_raises(value):
    raw = message("Authentication-Results: mail.lrmuitine.lt;" + value.replace("\r", " ").replace("\n", " ") + "\r\n")
    found = verdict(raw)
    assert found is None or {found["dmarc"], found["dkim"], found["spf"]} <= {"pass", "fail", "none"}


def test_a_message_without_the_header_is_not_parsed_at_all(monkeypatch):
    """Most mail carries no Authentication-Results: the header block is not parsed for it (a cost a message)."""
    parsed = []
    real = authresults.header_fields

    def counted(*args, **kwargs):
        parsed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(authresults, "header_fields", counted)
    assert verdict(message()) is None
    assert parsed == []
    with_header = message("AUTHENTICATION-RESULTS: mail.lrmuitine.lt; dmarc=pass header.from=bkl.lt\r\n")
    assert verdict(with_header)["dmarc"] == "pass"  # the name in any case still counts
    assert parsed == [1]
