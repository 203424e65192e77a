"""Letters to people: Jinja2 templates in Lithuanian, rendered to a subject and a plain-text body.

Template format (``config/templates/<name>.txt``, UTF-8): the first line is ``Tema: <subject>``, the rest is
the body. Files whose names start with ``_`` are partials (greeting, signature) included by the letters.
The subject is rendered on its own and its whitespace collapsed, so a line break inside a value (a trader's
name read from a form) can never split a header; ``compose`` still rejects CR/LF as a second line of defence.

Filters available in templates: ``shown`` (datetime or ISO text → Vilnius "2026-11-23 09:00"), ``day``
(→ "2026-11-23"), ``systems`` (["MDAS", "NTKS"] → "MDAS ir NTKS"); test ``mentions`` (substring).

Context keys. Datetimes must be timezone-aware (or ISO-8601 text with an offset); they are shown in Vilnius
time. ``offices`` is a sequence of (code, name) pairs. ``motives`` are the decision's Lithuanian sentences,
each already naming its point (``Decision.motives``); they are printed as given, one per line.

Every letter (defaults in brackets):
  signer_position the signing ITPC officer's position, on its own line ["" → no line]
  signer_name     the signing officer's name and surname, on the next line ["" → no line] (config.officers:
                  the deciding officer's, else the duty officer's)
The greeting (``_greeting.txt``) is the neutral "Laba diena,": a Lithuanian name cannot be put in the vocative
by rule of thumb, so no letter names its reader there. (``addressee`` is still accepted and ignored.)

Per letter (all required unless a default is given):
  consent                request_no, consent_no, received_at, applicant, eori, systems, period_from, period_to,
                         offices, motives, shortened [False], requested_from [None], requested_to [None]
                         (requested_* are required when shortened: the letter states the requested period;
                         the 1B-1029:14 reason comes from a motive that cites "14 punkt", else the template
                         states it itself), by_fax [False], itpc_fax [""], itpc_email [""] (by_fax: the
                         answer goes to a fax, so the letter names ITPC's fax number and e-mail address for
                         reporting an early recovery, 1B-1029:16, instead of "reply to this letter")
  refusal                request_no, received_at, applicant [None], eori [None], motives (at least one)
  not_needed             request_no, received_at, systems, outage_from, motives, rules [()] (cites 31 for an
                         NTKS outage when "1B-1029:31" is among the rules, else 20)
  acknowledgement        request_no, received_at, deadline, late [False] (a continuity request left to an
                         officer; deadline: 2 hours after receipt, 1B-1029:9; late: written after it)
  acknowledgement_early_recovery   request_no, received_at, consent_no [None]
  acknowledgement_afis_access      request_no, received_at, officer_name [None]
  acknowledgement_afis_change      request_no, received_at
  acknowledgement_not_a_request    request_no, received_at (an inquiry, acknowledged once)
  afis_return            request_no, received_at, rules, motives (at least one), deadline [None],
                         officer_name [None] (the officer the rights were asked for), attached [False] (a copy
                         of the request goes with it, 1B-280:9)
                         (deadline given → deficiencies to correct, 1B-280:9; "1B-280:8" in rules → not sent
                         from an institution's mailbox; "1B-280:13" in rules → IMS modules are asked elsewhere)
  afis_forward           request_no, received_at, institution, officer_name, officer_position, officer_phone,
                         officer_email, access_type, modules (at least one), purposes, sender, afis_mailbox [None],
                         attached [False] (to the AFIS liaison officer, 1B-280:9-10)
  afis_change_forward    request_no, received_at, rules, change, sender, institution [None], officer_name [None],
                         officer_email [None], changed_on [None], motives [()], attached [False] (14-16)
  afis_change_return     request_no, received_at, rules, motives (at least one), officer_name [None]
  etd_decision_notice    file_no, msvs_no, company, eori, carrier, action, phrase, decided_at, effective,
                         offices, motives [()], unfavourable [False] (the appeal sentence, 33), to_authority
                         [False] (cites 32 instead of 36)
  etd_deadline_alert     file_no, msvs_no, company, what, due, rule ("25.2"), overdue [False] (to the duty
                         address: a consultation 16, the monitoring plan 25.2, a year's audit 37)
  afis_granted           request_no, access_type, modules (at least one) (to the user, 1B-280:10-12)
  duty_alert             request_no, kind, why ("review" | "inquiry" | "unreadable" | "message": a message came
                         back to the case), received_at, sender [""], subject [""], deadline [None], note [""]
                         (to the duty address, at once, when a case enters the officer queue)
  officer_reply          request_no, subject, text, signer_name (an officer's answer from the terminal,
                         signed with the officer's own position and name from the officers directory)
AFIS letters greet with "Laba diena," and name people only in the nominative ("AFIS/CIS+ naudotojas: ...").
  office_notice          consent_no, issued_at, applicant, eori, systems, period_from, period_to, offices
  early_end_notice       consent_no, applicant, eori, systems, period_from, period_to, ended_at, offices
  early_end_confirmation consent_no, request_no, received_at, applicant, eori, ended_at, offices
  consent_revoked        consent_no, request_no, applicant, eori, period_from, period_to, ended_at, offices,
                         motives (at least one) (an officer revoked the consent: to the trader)
  consent_revoked_notice consent_no, applicant, eori, systems, period_from, period_to, ended_at, offices
  consent_amended        consent_no, request_no, applicant, eori, period_from, period_to, previous_to, offices,
                         motives [()] (an officer shortened the consent, 1B-1029:14: to the trader)
  consent_amended_notice consent_no, applicant, eori, systems, period_from, period_to, previous_to, offices
  tc26_consultation      file_number, msvs_number, company, eori, country, authority, requesting, departure,
                         destination, reply_address, deadline [None] (the covering letter of the TC26 form to a
                         common transit country's competent authority, 1B-1052:16; departure and destination are
                         (port, office code) pairs; written in English: see its LETTERS entry)

Usage::

    letter = render_letter("consent", {...}, templates_dir=settings.templates.directory)
    raw = compose(sender=..., to=[...], subject=letter.subject, body=letter.body, ...)
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    import jinja2

from config.errors import DocumentError
from ledger.clock import parse_instant, shown, shown_day

SUBJECT_PREFIX = "Tema:"
LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


class LetterError(DocumentError, ValueError):
    """A letter cannot be rendered: unknown template, a missing or invalid context value, a broken template."""


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


@dataclass(frozen=True)
class LetterSpec:
    required: tuple[str, ...]
    defaults: Mapping[str, Any]
    nonempty: tuple[str, ...] = ()  # sequences that must hold at least one item (a refusal states its motives)


COMMON_DEFAULTS: Mapping[str, Any] = {"addressee": "", "signer_name": "", "signer_position": ""}

LETTERS: dict[str, LetterSpec] = {
    "consent": LetterSpec(
        ("request_no", "consent_no", "received_at", "applicant", "eori", "systems", "period_from", "period_to",
         "offices", "motives"),
        {"shortened": False, "requested_from": None, "requested_to": None, "by_fax": False, "itpc_fax": "",
         "itpc_email": ""}),
    "refusal": LetterSpec(("request_no", "received_at", "motives"), {"applicant": None, "eori": None},
                          nonempty=("motives",)),
    "not_needed": LetterSpec(("request_no", "received_at", "systems", "outage_from", "motives"), {"rules": ()}),
    "acknowledgement": LetterSpec(("request_no", "received_at", "deadline"), {"late": False}),
    "acknowledgement_early_recovery": LetterSpec(("request_no", "received_at"), {"consent_no": None}),
    "acknowledgement_afis_access": LetterSpec(("request_no", "received_at"), {"officer_name": None}),
    "acknowledgement_afis_change": LetterSpec(("request_no", "received_at"), {}),
    "acknowledgement_not_a_request": LetterSpec(("request_no", "received_at"), {}),
    "afis_return": LetterSpec(("request_no", "received_at", "rules", "motives"),
                              {"deadline": None, "officer_name": None, "attached": False}, nonempty=("motives",)),
    "afis_forward": LetterSpec(("request_no", "received_at", "institution", "officer_name", "officer_position",
                                "officer_phone", "officer_email", "access_type", "modules", "purposes", "sender"),
                               {"afis_mailbox": None, "attached": False}, nonempty=("modules",)),
    "afis_change_forward": LetterSpec(("request_no", "received_at", "rules", "change", "sender"),
                                      {"institution": None, "officer_name": None, "officer_email": None,
                                       "changed_on": None, "motives": (), "attached": False}),
    "afis_granted": LetterSpec(("request_no", "access_type", "modules"), {}, nonempty=("modules",)),
    "afis_change_return": LetterSpec(("request_no", "received_at", "rules", "motives"), {"officer_name": None},
                                     nonempty=("motives",)),
    "office_notice": LetterSpec(
        ("consent_no", "issued_at", "applicant", "eori", "systems", "period_from", "period_to", "offices"), {},
        nonempty=("offices", "systems")),
    "early_end_notice": LetterSpec(
        ("consent_no", "applicant", "eori", "systems", "period_from", "period_to", "ended_at", "offices"), {},
        nonempty=("offices",)),
    "early_end_confirmation": LetterSpec(
        ("consent_no", "request_no", "received_at", "applicant", "eori", "ended_at", "offices"), {}),
    # An officer's correction of a consent (itpc/officer.py): to the trader, and to each office of the consent.
    "consent_revoked": LetterSpec(
        ("consent_no", "request_no", "applicant", "eori", "period_from", "period_to", "ended_at", "offices",
         "motives"), {}, nonempty=("motives",)),
    "consent_revoked_notice": LetterSpec(
        ("consent_no", "applicant", "eori", "systems", "period_from", "period_to", "ended_at", "offices"), {},
        nonempty=("offices", "systems")),
    "consent_amended": LetterSpec(
        ("consent_no", "request_no", "applicant", "eori", "period_from", "period_to", "previous_to", "offices"),
        {"motives": ()}),
    "consent_amended_notice": LetterSpec(
        ("consent_no", "applicant", "eori", "systems", "period_from", "period_to", "previous_to", "offices"), {},
        nonempty=("offices", "systems")),
    # The officer queue told at once (itpc/answers.py), and an officer's own answer (itpc/casework.py).
    "duty_alert": LetterSpec(("request_no", "kind", "why", "received_at"),
                             {"sender": "", "subject": "", "deadline": None, "note": ""}),
    "officer_reply": LetterSpec(("request_no", "subject", "text", "signer_name"), {},
                                nonempty=("text", "signer_name")),
    # Scheduled letters (itpc/tick.py, itpc/afis.py).
    "decision_alert": LetterSpec(("request_no", "received_at", "deadline"),
                                 {"applicant": "", "eori": "", "systems": ()}),
    "outage_planned": LetterSpec(("system", "start", "end", "point"), {"without_request": False}),
    "outage_general": LetterSpec(("system", "start"), {}),
    "outage_extended": LetterSpec(("system", "start", "end", "previous_end", "extended_at"),
                                  {"without_request": False, "rules": ()}),
    "outage_cancelled": LetterSpec(("system", "start", "end", "reason"), {}),
    "outage_ended": LetterSpec(("system", "start", "end", "point"),
                               {"request_numbers": (), "planned": False, "procedure_end": True}),
    "afis_inactive": LetterSpec(("username", "last_login", "inactive_from", "keep_until"), {}),
    # ETD authorisations (itpc/etd.py, 1B-1052).
    "etd_decision_notice": LetterSpec(("file_no", "msvs_no", "company", "eori", "carrier", "action", "phrase",
                                       "decided_at", "effective", "offices"),
                                      {"motives": (), "unfavourable": False, "to_authority": False},
                                      nonempty=("offices",)),
    "etd_deadline_alert": LetterSpec(("file_no", "msvs_no", "company", "what", "due", "rule"), {"overdue": False}),
    # The covering letter of the TC26 form (1B-1052:16). It goes to a foreign customs authority, whose officers
    # read English and not Lithuanian: the letter is English (the working language of customs cooperation),
    # while the attached form keeps the annex's Lithuanian wording with English glosses (responders/tc26.py).
    "tc26_consultation": LetterSpec(
        ("file_number", "msvs_number", "company", "eori", "country", "authority", "requesting", "departure",
         "destination", "reply_address"), {"deadline": None}, nonempty=("departure", "destination")),
}

# Letters written in English (to foreign authorities): the Lithuanian greeting and signature rules do not apply.
ENGLISH_LETTERS = frozenset({"tc26_consultation"})


def render_letter(name: str, context: dict, *, templates_dir: Path) -> Letter:
    """Render letter ``name`` from ``templates_dir/<name>.txt`` with ``context`` (keys: module docstring)."""
    spec = LETTERS.get(name)
    if spec is None:
        raise LetterError(f"unknown letter {name!r} (known: {', '.join(sorted(LETTERS))})")
    values = {**COMMON_DEFAULTS, **spec.defaults, **context}
    _check_context(name, spec, values)
    subject, body = _rendered(name, Path(templates_dir), values)
    subject = one_line(subject)
    body = _tidy(body)
    if not subject:
        raise LetterError(f"letter {name!r}: the subject rendered empty")
    return Letter(subject=subject, body=body)


def one_line(text: str) -> str:
    """A header-safe line: control characters and every kind of line break become spaces, runs collapse."""
    return " ".join("".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text).split())


def leftover_markup(text: str) -> list[str]:
    """Template markup that survived rendering (a sign of a broken template); empty when clean."""
    return LEFTOVER.findall(text)


# ------------------------------------------------------------------------------------------------ filters


# The filters only read what a template hands them (a datetime or ISO text); the formats are ledger.clock's.

def shown_filter(value: datetime | str) -> str:
    """A moment as people read it: Vilnius wall clock to the minute ("2026-11-23 09:00")."""
    return shown(_moment(value))


def day_filter(value: datetime | str) -> str:
    """The Vilnius calendar date of a moment ("2026-11-23")."""
    return shown_day(_moment(value))


def systems_text(systems: Any) -> str:
    """["MDAS", "NTKS"] → "MDAS ir NTKS"; a single string is shown as it is."""
    if isinstance(systems, str):
        return systems
    items = [str(s) for s in systems]
    if not items:
        raise LetterError("systems: at least one system (MDAS or NTKS) is required")
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " ir " + items[-1]


def _moment(value: datetime | str) -> datetime:
    if isinstance(value, str):
        try:
            value = parse_instant(value)
        except ValueError:
            raise LetterError(f"not a date and time: {value!r}") from None
    if not isinstance(value, datetime):
        raise LetterError(f"expected a date and time, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        # A naive datetime would be read in the server's own zone: refuse rather than print a wrong hour.
        raise LetterError(f"a timezone-aware datetime is required, got {value!r}")
    return value


def _mentions(text: Any, part: str) -> bool:
    return part in str(text)


# ------------------------------------------------------------------------------------------------ helpers


# Compiling a template costs more than rendering it: each process keeps one environment per templates directory
# and each letter's compiled subject and body, recompiled when the file changes (an edited template is read on
# the next letter, as before; the partials it includes are checked by jinja2's own loader the same way).
_ENVIRONMENTS: dict[Path, jinja2.Environment] = {}
_COMPILED: dict[Path, tuple[tuple[int, int], jinja2.Template, jinja2.Template]] = {}


def _rendered(name: str, templates_dir: Path, values: Mapping[str, Any]) -> tuple[str, str]:
    """The subject and body of letter ``name`` rendered with ``values``, from the compiled templates."""
    import jinja2  # heavy (≈25 ms): only a command that writes a letter pays for it

    path = templates_dir / f"{name}.txt"
    try:
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = _COMPILED.get(path)
        if cached is None or cached[0] != version:
            cached = (version, *_compile(name, _environment(templates_dir), path.read_text(encoding="utf-8")))
            _COMPILED[path] = cached
        return cached[1].render(values), cached[2].render(values)
    except OSError as exc:
        if not templates_dir.is_dir():
            raise LetterError(f"templates directory not found: {templates_dir}") from None
        raise LetterError(f"letter {name!r}: cannot read template in {templates_dir} ({exc.strerror})") from None
    except jinja2.UndefinedError as exc:
        raise LetterError(f"letter {name!r}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise LetterError(f"letter {name!r}: template error: {exc}") from None


def _compile(name: str, env: jinja2.Environment, source: str) -> tuple[jinja2.Template, jinja2.Template]:
    first, _, rest = source.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise LetterError(f"letter {name!r}: the template's first line must be '{SUBJECT_PREFIX} ...'")
    return env.from_string(first[len(SUBJECT_PREFIX):]), env.from_string(rest)


def _environment(templates_dir: Path) -> jinja2.Environment:
    env = _ENVIRONMENTS.get(templates_dir)
    if env is None:
        env = _ENVIRONMENTS[templates_dir] = _new_environment(templates_dir)
    return env


def _new_environment(templates_dir: Path) -> jinja2.Environment:
    import jinja2  # see _rendered

    if not templates_dir.is_dir():
        raise LetterError(f"templates directory not found: {templates_dir}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir), encoding="utf-8"),
                             undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(shown=shown_filter, day=day_filter, systems=systems_text)
    env.tests["mentions"] = _mentions
    return env


def _check_context(name: str, spec: LetterSpec, values: Mapping[str, Any]) -> None:
    missing = [key for key in spec.required if key not in values]
    if missing:
        raise LetterError(f"letter {name!r}: context lacks {', '.join(missing)}")
    empty = [key for key in spec.nonempty if not values.get(key)]
    if empty:
        raise LetterError(f"letter {name!r}: {', '.join(empty)} must not be empty")
    if name == "consent" and values.get("shortened") and not (values.get("requested_from")
                                                              and values.get("requested_to")):
        raise LetterError("letter 'consent': a shortened consent needs requested_from and requested_to")
    if name == "consent" and values.get("by_fax") and not (values.get("itpc_fax") and values.get("itpc_email")):
        raise LetterError("letter 'consent': an answer by fax needs itpc_fax and itpc_email (where to report "
                          "an early recovery)")
    for key in ("offices",):
        for item in values.get(key) or ():
            if isinstance(item, str) or len(item) != 2:
                raise LetterError(f"letter {name!r}: offices must be (code, name) pairs, got {item!r}")


def _tidy(body: str) -> str:
    """At most one blank line in a row, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in body.strip("\n").splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"
