"""Prašymas taikyti veiklos tęstinumo procedūrą (1B-1029 annex 1) → the continuity field contract.

Each field is read from the most explicit place first: a "Label: value" line, then the annex form's
value-above-caption layout, then free prose.  What point 8 of 1B-1029 requires and the text lacks (or has
unreadably) is listed in `missing`, as are the form's systems and customs offices.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from ingest.dates import find_moments, find_period, iso, resolve_period
from ingest.field_text import fold, squash
from ingest.fields import (find_emails, find_eori, find_organisation, find_phones, normalize_eori, normalize_phone,
                           split_position_name, systems_named)
from ingest.form_layout import Labelled, caption_fields, is_label_line, labelled_fields, split_signature
from ingest.keywords import Keyword
from ingest.offices import OfficeDirectory

# ITPC's own addresses are printed on the form (1B-1029:7); they are never where the trader wants the answer.
ITPC_EMAILS = frozenset({"itpc@lrmuitine.lt"})
ITPC_FAXES = frozenset({"+37052362338"})

MAX_REPLY_PHRASES = 10   # "send the consent to ..." phrases read
MAX_REPLY_LINE = 400     # characters of each such line
_REPLY_PROSE = re.compile(
    r"(?:\b(?:sutikim|atsakym|sprendim)\w*[^\n]{0,80}?\b(?:siu[sn]\w*|atsiu\w*|pateik\w*|issiu\w*))"
    r"|(?:\b(?:siu[sn]\w*|atsiu\w*)\s+(?:sutikim|atsakym|sprendim)\w*)"
)
_FAX_WORD = re.compile(r"\bfaks|\bfax")
# The annex form's printed reply line offers "e-mail and (or) fax"; that offer alone is no wish for a fax.
_FORM_REPLY_OFFER = re.compile(r"elektroninio\s+pasto\s+adres\w*\s+ir\s*\(?\s*arba\s*\)?\s*(?:siuo\s+)?faks\w*")
_TEL_PROSE = Keyword(r"\b(?:tel|telefonas|telefono\s+nr|mob)\b\.?\s*(?:nr\.?)?\s*:?\s*", ("tel", "mob"))
_OFFICES_PROSE = re.compile(r"muitines\s+istaig\w*|\bpostuose\b|\bposte\b|deklaravimo\s+viet\w*|\bpostams?\b")
_BECAUSE = re.compile(r"\bnegal\w*[^.\n]{0,60}?\bnes\b\s*,?\s*")
_OUTAGE = re.compile(r"\bneveik|\bsuged|\bsutrik|\bgedim|\bnutruk|\btrikd|\bdinges|\bnera\s+(?:rysio|interneto|elektros)")
_REQUEST_SENTENCE = re.compile(r"\bpras(?:au|ome|o)\b[^.\n]{0,40}\bsutikim")
_CLOSING = re.compile(r"^(?:pagarbiai|su pagarba|aciu|dekoju|geros dienos)\b")
_CONTACT_TAIL = re.compile(r"(?:[,;(]|\s)\s*(?:tel|telefonas|mob|faks|fax|el\.\s*p|e-?mail|[\w.+-]+@)\b.*$",
                           re.IGNORECASE)
_PERSON_LINE = re.compile(r"^[A-ZĄČĘĖĮŠŲŪŽ][a-ząčęėįšųūž]+(?:[ -][A-ZĄČĘĖĮŠŲŪŽ][a-ząčęėįšųūž]+){0,2}$")
_LEGAL_FORM = re.compile(r"^(?:UAB|AB|MB|IĮ|VĮ|ŽŪB|KŪB|TŪB|VšĮ)\b")
# A sentence ends at . ! ? followed by a blank (so "info@uab.lt" and "13.00" do not end one) or a line end.
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?![\s]|$))+(?:[.!?](?=\s|$)|$)", re.MULTILINE)

# DESIGN.md's order: point 8 (8.1 the person and its representative, 8.2, 8.3), then the form's items.
REQUIRED = ("applicant", "eori", "contact_name", "period", "reasons", "systems", "customs_offices")


@dataclass(frozen=True)
class Reading:
    """A kind-specific parse: contract fields, what is missing, and the share of key fields found (0..1)."""
    fields: dict
    missing: list[str]
    completeness: float


def _sentences(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in _SENTENCE.finditer(text)]


def _applicant(labels: Labelled, captions: dict[str, str], text: str) -> str | None:
    value = labels.first("applicant") or captions.get("applicant_line")
    if value:
        # The form's line carries name, EORI and phone together: "UAB X, EORI LT..., tel. ..."
        value = re.split(r",?\s*\(?\b(?:EOR[Il1]|tel\.?|telefonas)\b", value, maxsplit=1, flags=re.IGNORECASE)[0]
        value = value.strip(" ,;(")
        if value:
            return value
    return find_organisation(text)


def _eori(labels: Labelled, captions: dict[str, str], text: str) -> str | None:
    raw = labels.first("eori")
    if raw:  # what the EORI line says, even unreadable (1B-1029:8.1), is not replaced by a guess
        return normalize_eori(raw) or find_eori("EORI " + raw)
    # No EORI line, or an empty one: the form's applicant line, a company code or an LT number elsewhere.
    return find_eori(captions.get("applicant_line", "")) or find_eori(text)


def _phone(labels: Labelled, captions: dict[str, str], text: str) -> str | None:
    for candidate in _phone_candidates(labels, captions, text):
        numbers = [n for n in find_phones(candidate) if n not in ITPC_FAXES]
        if numbers:
            return numbers[0]
    return None


def _phone_candidates(labels: Labelled, captions: dict[str, str], text: str) -> Iterator[str]:
    """Where a phone number may be written, most explicit first; the prose is read only when needed."""
    yield labels.first("phone") or ""
    for source in (captions.get("applicant_line", ""), text):
        for m in _TEL_PROSE.finditer(fold(source)):
            yield source[m.end():m.end() + 30].split("\n", 1)[0]


def _systems(labels: Labelled, captions: dict[str, str], text: str) -> list[str]:
    if labels.first("systems"):
        return systems_named(labels.first("systems") or "")
    if "systems" in captions:
        # The form's own choice line: strike-through upstream has removed what was not chosen.
        return systems_named(captions["systems"])
    folded = fold(text)
    for start, sentence in _sentences(text):
        f = folded[start:start + len(sentence)]
        if re.search(r"procedur|sutikim|neveik|sutrik|suged", f):
            found = systems_named(sentence, ignore_template=True)
            if found:
                return found
    return systems_named(text, ignore_template=True)


def _period(labels: Labelled, captions: dict[str, str], text: str,
            received_at: datetime | None) -> tuple[datetime | None, datetime | None]:
    if labels.first("period_from") or labels.first("period_to"):
        # Separate "Pradžia" / "Pabaiga" values: resolved together, so "Iki: 18:00" takes the start's date.
        # The first value that holds a moment counts ("Nuo: Jonas <j@x.lt>" in a forwarded header does not).
        starts = next((m for v in labels.values.get("period_from", [])
                       if (m := find_moments(v, received_at=received_at))), [])
        ends = next((m for v in labels.values.get("period_to", [])
                     if (m := find_moments(v, received_at=received_at))), [])
        begin, end = resolve_period(starts[0] if starts else None, ends[0] if ends else None,
                                    received_at=received_at)
        if begin or end:
            return begin, end
    for source in (labels.first("period"), captions.get("period")):
        if source:
            begin, end = find_period(source, received_at=received_at)
            if begin or end:
                return begin, end
    if "period" in labels:
        return None, None  # "Laikotarpis: kuo skubiau": the period is named and unreadable
    return find_period(text, received_at=received_at)


def _offices(labels: Labelled, captions: dict[str, str], text: str, offices: OfficeDirectory) -> list[str]:
    for source in (labels.first("customs_offices"), captions.get("customs_offices")):
        if source:
            found = offices.resolve(source)
            if found:
                return found
    folded = fold(text)
    for m in _OFFICES_PROSE.finditer(folded):
        end = folded.find("\n", m.end())
        found = offices.resolve(text[m.start():end if end >= 0 else len(text)])
        if found:
            return found
    return offices.resolve(text)


def _reasons(labels: Labelled, captions: dict[str, str], text: str) -> str | None:
    value = labels.first("reasons") or captions.get("reasons")
    if value:
        return value.strip()
    folded = fold(text)
    m = _BECAUSE.search(folded)
    if m:
        stop = re.search(r"[.!?](?=\s|$)|\n\s*\n", folded[m.end():])
        reason = text[m.end():m.end() + stop.start() + 1 if stop else len(text)].strip()
        if len(reason) > 2:
            return squash(reason)
    for start, sentence in _sentences(text):
        f = folded[start:start + len(sentence)]
        if _OUTAGE.search(f) and not is_label_line(sentence):
            because = re.search(r"\bnes\b\s*,?\s*", f)
            if because:
                return squash(sentence[because.end():])
            if not _REQUEST_SENTENCE.search(f):
                return squash(sentence)
    return None


def _reply(labels: Labelled, captions: dict[str, str], text: str,
           fax_sender: str | None) -> tuple[list[str], list[str]]:
    """Addresses and fax numbers named for the Sutikimas (1B-1029:13) — only where the text names them."""
    segments = [v for v in labels.values.get("reply", []) if v]
    if captions.get("reply"):
        segments.append(captions["reply"])
    if not segments:
        folded = fold(text)
        # A handful of phrases, each read to the end of its line (bounded): a text repeating "sutikimą siųsti"
        # thousands of times must cost no more than reading it once.
        for m in itertools.islice(_REPLY_PROSE.finditer(folded), MAX_REPLY_PHRASES):
            lines = text[m.start():m.start() + 3 * MAX_REPLY_LINE].split("\n")
            segment = lines[0][:MAX_REPLY_LINE]
            if not find_emails(segment) and not find_phones(segment):
                # "Sutikimą prašome siųsti:" with the address on the next line.
                segment += "\n" + next((x[:MAX_REPLY_LINE] for x in lines[1:3] if x.strip()), "")
            segments.append(segment)
    emails: list[str] = []
    faxes: list[str] = []
    for segment in segments:
        emails += [e for e in find_emails(segment) if e not in ITPC_EMAILS and e not in emails]
        numbers = [n for n in find_phones(segment) if n not in ITPC_FAXES and n not in faxes]
        faxes += numbers
        wants_fax = _FAX_WORD.search(_FORM_REPLY_OFFER.sub(" ", fold(segment)))
        if not numbers and wants_fax and fax_sender and not emails:
            # "Sutikimą siųsti faksu" with the number unreadable: the fax it came from.
            number = normalize_phone(fax_sender)
            if number and number not in faxes:
                faxes.append(number)
    return emails, faxes


def _without_contacts(value: str) -> str:
    """A contact person's line without the phone, fax and e-mail written after the name."""
    return _CONTACT_TAIL.sub("", squash(value)).strip(" ,;–-")


def _person(value: str) -> tuple[str | None, str | None]:
    """(position, name) from a contact person's line: "logistikos vadovė Rūta K., tel. ..." and the like."""
    return split_position_name(_without_contacts(value))


def _line_after(text: str, value: str) -> str:
    """The first non-blank line after the label line that holds `value` ("... asmuo – tarpininkė" / name)."""
    lines = text.split("\n")
    at = next((i for i, line in enumerate(lines) if value in line and is_label_line(line)), None)
    return next((line for line in lines[at + 1:at + 3] if line.strip()), "") if at is not None else ""


def _signed(text: str) -> tuple[str | None, str | None]:
    """(name, position) from the sign-off: "Pagarbiai" (or "--") then the name, or "Pagarbiai, Ona Onaitė"."""
    lines = [line.strip() for line in text.split("\n")]
    folded = [line.strip() for line in fold(text).split("\n")]  # one fold, not one a line: it keeps length
    for i, line in enumerate(lines):
        closing = _CLOSING.match(folded[i])
        if not closing and line not in ("--", "-- "):
            continue
        inline = line[closing.end():].strip(" ,") if closing else ""
        after = [inline] if inline else []
        after += [x for x in lines[i + 1:i + 4] if x]
        if after and _PERSON_LINE.match(after[0]) and not _LEGAL_FORM.match(after[0]):
            position = None
            if not inline and len(after) > 1 and not _LEGAL_FORM.match(after[1]) and len(after[1]) < 60 \
                    and i + 2 < len(lines) and lines[i + 2]:
                position = after[1]
            return after[0], position
        if closing:
            break
    return None, None


def _contact(labels: Labelled, captions: dict[str, str], text: str) -> tuple[str | None, str | None]:
    """(name, position) of the person's representative or contact person (1B-1029:8.1), from the most explicit
    place: a name label, the annex form's signature line, a contact label ("Kontaktinis asmuo:", "Atstovas:",
    "Asmens įgaliotas (kontaktinis) asmuo" with the name on its line or the next), else the sign-off
    ("Pagarbiai" then the name, "Pagarbiai, Vardenis Pavardenis", or a "--" signature)."""
    name, position = labels.first("name"), labels.first("position")
    if not name and captions.get("signature"):  # position (parašas) name
        position, name = split_signature(captions["signature"])
    for value in filter(None, labels.values.get("person", [])):
        if name:
            break
        pos, name = _person(value)
        if not name:  # "Asmens įgaliotas (kontaktinis) asmuo – muitinės tarpininkė", the name below
            below, name = _person(_line_after(text, value))
            pos = (pos or below) if name else None
        position = position or pos
        name = name or _without_contacts(value)  # a representative named otherwise still names one
    if not name:
        name, position = _signed(text)
    return (name or None), (position or None)


def parse_continuity(text: str, *, offices: OfficeDirectory, received_at: datetime | None = None,
                     fax_sender: str | None = None) -> Reading:
    """Read a continuity request from cleaned `text` (see module docstring)."""
    labels = labelled_fields(text)
    captions = caption_fields(text)
    begin, end = _period(labels, captions, text, received_at)
    reply_email, reply_fax = _reply(labels, captions, text, fax_sender)
    contact_name, contact_position = _contact(labels, captions, text)
    fields = {
        "applicant": _applicant(labels, captions, text),
        "eori": _eori(labels, captions, text),
        "phone": _phone(labels, captions, text),
        "systems": _systems(labels, captions, text),
        "period_from": iso(begin),
        "period_to": iso(end),
        "customs_offices": _offices(labels, captions, text, offices),
        "reasons": _reasons(labels, captions, text),
        "reply_email": reply_email,
        "reply_fax": reply_fax,
        "contact_name": contact_name,
        "contact_position": contact_position,
    }
    present = {
        "applicant": bool(fields["applicant"]),
        "eori": bool(fields["eori"]),
        "contact_name": bool(fields["contact_name"]),
        "period": bool(begin and end),
        "reasons": bool(fields["reasons"]),
        "systems": bool(fields["systems"]),
        "customs_offices": bool(fields["customs_offices"]),
    }
    missing = [key for key in REQUIRED if not present[key]]
    # How much of the form is filled, to tell a request from a covering note: a signature is no evidence.
    key_fields = [found for key, found in present.items() if key != "contact_name"]
    return Reading(fields, missing, sum(key_fields) / len(key_fields))
