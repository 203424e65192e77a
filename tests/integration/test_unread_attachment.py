"""A request whose attachment could not be read in full goes to an officer (issue 12, item 10): what the unread
part says could change the answer, so no automatic consent or refusal is made on the rest."""
from __future__ import annotations

import email
import email.policy
import json

from tests.helpers import CORPUS, itpc, make_config

C16 = CORPUS / "mail" / "c16-ascii.eml"   # a complete continuity request in the body: a consent on its own


def with_attachment(data: bytes, filename: str) -> bytes:
    message = email.message_from_bytes(C16.read_bytes(), policy=email.policy.default)
    message.make_mixed()
    message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return message.as_bytes()


def test_a_request_with_an_attachment_that_cannot_be_read_goes_to_an_officer(tmp_path):
    config = make_config(tmp_path)
    raw = with_attachment(b"%PDF-1.4\nnot really a PDF at all\n%%EOF\n", "prasymas.pdf")
    (tmp_path / "inbox" / "new" / "unread.eml").write_bytes(raw)
    itpc(config, "poll", "--once", now="2026-12-10T12:00")
    [request] = [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines()]
    assert request["decision"]["outcome"] == "review"
    assert "prasymas.pdf" in itpc(config, "show", request["number"]).stdout


def test_the_same_request_without_the_attachment_is_decided_automatically(tmp_path):
    config = make_config(tmp_path)
    (tmp_path / "inbox" / "new" / "plain.eml").write_bytes(C16.read_bytes())
    itpc(config, "poll", "--once", now="2026-12-10T12:00")
    [request] = [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines()]
    assert request["decision"]["outcome"] == "consent"
