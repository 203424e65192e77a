"""What our own mail server found when it checked who sent a message: its ``Authentication-Results`` (RFC 8601).

A ``From:`` is easy to forge, and a forged one must not win a consent. The receiving server checks DMARC, DKIM
and SPF and writes what it found in an ``Authentication-Results`` header at the top of the message; anyone
else can write such a header too (the sender, a server on the way), so only a header that names one of our
authentication services (``[mailbox] authserv_id``) and stands above the point where the message entered our
servers counts:

- above the lowest of the ``Received:`` lines our own hosts (``[mailbox] trusted_received``) put on top;
- else (our hosts are not recognised) above the first ``Received:`` line, which the receiving server added;
- else (a message that passed no server) only the run of such headers at the very top.

The headers are parsed with ``authres`` (RFC 8601's grammar: comments, quoting, versions, property types),
and each method's results are read for the ``From:`` domain only: DMARC's ``header.from``, DKIM's
``header.d`` (or ``header.i``) and SPF's ``smtp.mailfrom`` must be that domain or aligned with it (one a
subdomain of the other); a result naming no domain is our server's word about this message and counts.
"""
from __future__ import annotations

from typing import Iterable

import authres

from ingest.receipt import header_block, header_fields, received_by
from ledger.entries import Authentication

METHODS = ("dmarc", "dkim", "spf")
_FIELD_NAME = b"authentication-results"
_PASS = {"pass"}
# SPF's softfail ("probably not authorised") counts as a fail: the most it costs is an officer's look.
_FAIL = {"fail", "hardfail", "softfail"}
# The property that names the domain a method's result is about (RFC 8601 2.7, RFC 7489 11.2).
_DOMAIN_PROPERTIES = {"dmarc": (("header", "from"),), "dkim": (("header", "d"), ("header", "i")),
                      "spf": (("smtp", "mailfrom"), ("smtp", "helo"))}


def authentication_verdict(raw: bytes, authserv_ids: Iterable[str], trusted_received: Iterable[str],
                   from_domain: str) -> Authentication | None:
    """The verdict of our authentication service on ``from_domain`` (each of dmarc, dkim, spf: "pass", "fail"
    or "none"), read from the trusted ``Authentication-Results`` headers of ``raw`` (a prefix holding the
    header block is enough); None when the message carries no such header."""
    ours = {_host(a) for a in authserv_ids if a.strip()}
    if not ours:
        return None
    headers = trusted_headers(raw, {_host(h) for h in trusted_received if h.strip()})
    parsed = [found for value in headers if (found := _parse(value)) is not None and _host(found.authserv_id) in ours]
    if not parsed:
        return None
    domain = _host(from_domain)
    results = [(r.method.lower(), (r.result or "").lower(), r) for header in parsed for r in header.results]
    said = {method: _combined(method, {result for name, result, found in results
                                       if name == method and _about(method, found, domain)})
            for method in METHODS}
    return {"authserv_id": _host(parsed[0].authserv_id), "domain": domain,
            "dmarc": said["dmarc"], "dkim": said["dkim"], "spf": said["spf"]}


def trusted_headers(raw: bytes, trusted_received: set[str]) -> list[str]:
    """The values of the ``Authentication-Results`` headers above the point where the message entered our
    servers (see the module's docstring), topmost first, each unfolded onto one line."""
    block = header_block(raw)
    if _FIELD_NAME not in block.lower():  # most mail carries none: nothing to parse
        return []
    try:
        items = header_fields(block)
    except Exception:  # a header block the parser cannot read vouches for nothing
        return []
    names = [name.lower() for name, _value in items]
    values = [" ".join(str(value).split()) for _name, value in items]
    boundary = _boundary(names, values, trusted_received)
    return [values[i] for i in range(boundary) if names[i] == "authentication-results"]


def _boundary(names: list[str], values: list[str], trusted_received: set[str]) -> int:
    """The index of the first header the sender's side may have written."""
    received = [i for i, name in enumerate(names) if name == "received"]
    ours = 0
    while ours < len(received) and received_by(values[received[ours]]) in trusted_received:
        ours += 1
    if ours:
        return received[ours - 1]
    if received:
        return received[0]
    return next((i for i, name in enumerate(names) if name != "authentication-results"), len(names))


def _parse(value: str) -> authres.AuthenticationResultsHeader | None:
    try:
        return authres.AuthenticationResultsHeader.parse_value(value)
    except Exception:  # authres raises its own errors and, on odd input, plain ones: such a header says nothing
        return None


def _about(method: str, result: authres.core.AuthenticationResult, domain: str) -> bool:
    """The result is about ``domain``: the domain it names is aligned with it, or it names none."""
    named = [str(p.value) for p in result.properties or []
             if (str(p.type).lower(), str(p.name).lower()) in _DOMAIN_PROPERTIES[method] and p.value]
    if not named:
        return True
    return any(_aligned(_host(value.rsplit("@", 1)[-1]), domain) for value in named[:1])


def _aligned(named: str, domain: str) -> bool:
    return bool(named and domain) and (named == domain or domain.endswith("." + named)
                                       or named.endswith("." + domain))


def _combined(method: str, outcomes: set[str]) -> str:
    """One verdict from several results: one good DKIM signature authenticates the domain (others may have
    broken on the way); for DMARC and SPF a failure anywhere in our servers' checks is a failure."""
    passed, failed = bool(outcomes & _PASS), bool(outcomes & _FAIL)
    if method == "dkim" and passed:
        return "pass"
    if failed:
        return "fail"
    return "pass" if passed else "none"


def _host(name: str) -> str:
    return str(name).strip().strip("[]<>").rstrip(".").lower()
