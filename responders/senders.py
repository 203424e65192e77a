"""Who a mail address stands for: its domain, whether that domain is a public mail service, and whether two
addresses come from the same sender (1B-1029:16, 1B-280:8).

A domain of an organisation speaks for the organisation, so two addresses there are one sender; on a public
mail service (gmail.com, inbox.lt, ...) anyone can have an address, so only the same address is. And a From
is only as good as our mail server's check of it (RFC 8601 Authentication-Results, read by ingest).
"""
from __future__ import annotations

from email.utils import parseaddr
from typing import Iterable, Mapping


def address_of(value: str | None) -> str:
    """The bare address, lower-case, from ``Name <a@b>`` or ``a@b``; "" when there is none."""
    address = parseaddr(value or "")[1].strip().lower()
    return address if address.count("@") == 1 and all(address.split("@")) else ""


def domain_of(value: str | None) -> str:
    """The address's domain, lower-case, without a trailing dot; "" when there is no address."""
    address = address_of(value)
    return address.rsplit("@", 1)[1].rstrip(".") if address else ""


def in_domains(value: str | None, domains: Iterable[str]) -> bool:
    """The address is in one of ``domains`` or a subdomain of one (``vilnius.lrmuitine.lt`` is in
    ``lrmuitine.lt``)."""
    domain = domain_of(value)
    if not domain:
        return False
    for allowed in domains:
        allowed = allowed.strip().lower().lstrip("@").rstrip(".")
        if allowed and (domain == allowed or domain.endswith("." + allowed)):
            return True
    return False


def is_free_mail(value: str | None, free_mail: Iterable[str]) -> bool:
    """The address is on a public mail service."""
    return in_domains(value, free_mail)


def same_sender(one: str | None, other: str | None, free_mail: Iterable[str]) -> bool:
    """``one`` and ``other`` speak for the same sender: the same domain, or, on a public mail service, the same
    address."""
    a, b = address_of(one), address_of(other)
    if not a or not b:
        return False
    if is_free_mail(a, free_mail) or is_free_mail(b, free_mail):
        return a == b
    return domain_of(a) == domain_of(b)


def failed_authentication(verdict: Mapping[str, str] | None) -> str:
    """Why the From cannot be trusted, in English for an officer, or "" when nothing says it is forged.

    DMARC is the check made for the From domain, so its fail is enough and its pass settles it; without a DMARC
    result the domain fails only when both DKIM and SPF fail. No verdict at all (a server that checks nothing,
    a message that came no usual way) proves nothing either way and blocks nothing."""
    if not verdict:
        return ""
    said = f"{verdict.get('authserv_id') or 'our mail server'} found"
    domain = verdict.get("domain") or "the From domain"
    if verdict.get("dmarc") == "fail":
        return f"{said} that {domain} fails DMARC: the From may be forged"
    if verdict.get("dmarc") != "pass" and verdict.get("dkim") == "fail" and verdict.get("spf") == "fail":
        return f"{said} that {domain} fails both DKIM and SPF (no DMARC result): the From may be forged"
    return ""


def answer_to(registered: dict, kind: str, max_recipients: int) -> tuple[list[str], list[str]]:
    """(e-mail addresses, fax numbers) an answer to a request goes to: those the request names for the answer
    (1B-1029:13), else the fax it came from (a continuity request) or its sender. A request naming more than
    ``max_recipients`` gets its answer at the sender only: a crowd of addresses is an officer's matter."""
    fields = registered.get("fields") or {}
    emails = [str(a).lower() for a in fields.get("reply_email") or [] if a]
    faxes = [str(n) for n in fields.get("reply_fax") or [] if n]
    if len(emails) + len(faxes) > max_recipients:
        emails, faxes = [], []
    if not emails and not faxes:
        if registered.get("fax_sender") and kind == "continuity":
            faxes = [str(registered["fax_sender"])]
        elif registered.get("sender"):
            emails = [str(registered["sender"]).lower()]
    return list(dict.fromkeys(emails)), list(dict.fromkeys(faxes))
