"""AFIS/CIS+ requests (1B-280): access (annex 1, points 7.1–7.6) and change or loss of rights (14–15)."""
from __future__ import annotations

import re
from datetime import datetime

from ingest.dates import find_moments
from ingest.field_text import fold, squash
from ingest.fields import find_emails, find_phones, split_position_name
from ingest.form_continuity import Reading
from ingest.form_layout import Labelled, label_key, labelled_fields

# Module names exactly as 1B-280:7.4 lists them, in that order, with how they are recognised in folded text.
MODULES: tuple[tuple[str, str], ...] = (
    ("Alib", r"\balib\b|afis\s+library|afis\s+bibliotek"),
    ("AFIS paštas", r"\bafis\s+past|\bafis\s+mail\b"),
    ("AREP (AMT)", r"\barep\b"),
    ("CIS (EU)", r"(?<![a-z+])cis\s*\(\s*eu\s*\)|(?<![a-z+])cis\s+eu\b"),
    ("CIS (MS)", r"(?<![a-z+])cis\s*\(\s*ms\s*\)|(?<![a-z+])cis\s+ms\b"),
    ("CIS+ Cash Declarations", r"cash\s+declarations?"),
    ("CIS+ CigInfo", r"ciginfo|cig\s+info"),
    ("CIS+ MarInfo", r"marinfo|mar\s+info"),
    ("CIS+ YachtInfo", r"yachtinfo|yacht\s+info"),
    ("CSM", r"\bcsm\b"),
    ("FIDE (EU)", r"\bfide\s*\(\s*eu\s*\)|\bfide\s+eu\b"),
    ("FIDE (MS)", r"\bfide\s*\(\s*ms\s*\)|\bfide\s+ms\b"),
    ("IET", r"\biet\b"),
    ("MAS", r"\bmas\b"),
    ("ToSMA", r"\btosma\b"),
    ("V-OCU", r"\bv\s*-?\s*ocu\b"),
    ("TDM", r"\btdm\b|trade\s+data\s+monitor"),
    ("URT", r"\burt\b"),
)
# IMS (1B-280:3.27) is not in 7.4: its modules are granted by the institutions that administer them (13), yet a
# request may name them and the rules must see that it does.
IMS = "IMS"
_IMS_PATTERN = r"\bims\b|irregularity\s+management"
_MODULE_PATTERNS = tuple((name, re.compile(pattern)) for name, pattern in (*MODULES, (IMS, _IMS_PATTERN)))
_MODULE_ORDER = [name for name, _ in MODULES] + [IMS]

# A printed form lists every option with a box in front and the sender marks the chosen ones: only the text
# after a ticked box counts. Boxes are typed ("[x]", "( )") or the ballot-box characters a PDF or DOCX carries.
_BOX = re.compile(r"(?P<ticked>[☒☑✅■✓✔]|[\[(]\s*[xX✓✔vV*■☒]\s*[\])])|(?P<empty>[☐□]|[\[(]\s?[\])])")
_STARTS_WITH_BOX = re.compile(rf"^\s*(?:{_BOX.pattern})")
# An annex 1 label with its printed explanation: "6. Tikslai, kuriems įgyvendinti reikalinga prieiga ...: value".
_LONG_LABEL = re.compile(r"^(?P<lead>\s*(?:\d{1,2}[.)]\s*)?)(?P<label>[^,:\n]{2,40}),[^:\n]{0,200}:(?P<rest>.*)$")
_INSTITUTION_PROSE = re.compile(
    r"\b(?:Vilniaus|Kauno|Klaipėdos|Klaipedos)\s+teritorin\w+\s+muitin\w+"
    r"|\bMuitinės\s+kriminalin\w+\s+tarnyb\w+|\bMuitinės\s+departament\w+[^,.\n]{0,60}"
    r"|\bMuitinės\s+informacinių\s+sistemų\s+centr\w+|\bMuitinės\s+laboratorij\w+", re.IGNORECASE)

_TERRITORIAL = re.compile(r"(Vilniaus|Kauno|Klaipėdos|Klaipedos)\s+teritorin", re.IGNORECASE)

AFIS_REQUIRED = ("institution", "officer_position", "officer_name", "officer_phone", "officer_email",
                 "access_type", "modules", "purposes")


def access_type(value: str) -> str | None:
    """"CCN/CSI" or "Internet/Secure Web" (1B-280:7.3) from what the text says; both or neither → None."""
    folded = fold(value)
    ccn = bool(re.search(r"\bccn\b|\bcsi\b", folded))
    web = bool(re.search(r"internet|secure\s*web|interneto", folded))
    if ccn == web:
        return None
    return "CCN/CSI" if ccn else "Internet/Secure Web"


def modules_named(text: str) -> list[str]:
    """1B-280:7.4 module names (and IMS, 13) that `text` names, in the rule's order, IMS last."""
    folded = fold(text)
    return [name for name, pattern in _MODULE_PATTERNS if pattern.search(folded)]


def ticked(value: str) -> str | None:
    """The text after each ticked box of `value`, joined by newlines; None when `value` has no box at all
    (then the whole value is what was chosen)."""
    boxes = list(_BOX.finditer(value))
    if not boxes:
        return None
    ends = [b.start() for b in boxes[1:]] + [len(value)]
    return "\n".join(value[box.end():end] for box, end in zip(boxes, ends) if box.group("ticked"))


def _chosen(value: str) -> str:
    """What `value` chooses: the ticked options when it is a row of boxes, else all of it."""
    marked = ticked(value)
    return value if marked is None else marked


def _module_block(text: str) -> tuple[list[str], bool]:
    """Modules from the "Moduliai" label: its value and any box list under it (only ticked boxes count)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not re.match(r"^\s*(?:\d{1,2}[.)]\s*)?(?:afis\s*/?\s*cis\+?\s+)?modul\w*\b", fold(line)):
            continue
        block = [line.split(":", 1)[1] if ":" in line else ""]
        for follow in lines[i + 1:]:
            if _STARTS_WITH_BOX.match(follow):
                block.append(follow)
            elif follow.strip():
                break
        return sorted(set(modules_named(_chosen("\n".join(block)))), key=_MODULE_ORDER.index), True
    return [], False


def _short_labels(text: str) -> str:
    """Annex 1 labels cut to their first words ("Tikslai, kuriems ...: x" → "Tikslai: x") so the label reader
    knows them."""
    lines = []
    for line in text.split("\n"):
        m = _LONG_LABEL.match(line)
        if m and label_key(m.group("label")) is not None:
            line = f"{m.group('lead')}{m.group('label')}:{m.group('rest')}"
        lines.append(line)
    return "\n".join(lines)


def _purposes(value: str | None) -> list[str]:
    if not value:
        return []
    parts = re.split(r"\s*;\s*|\s+\d\)\s+|\s+•\s+", value)
    return [squash(p).strip(" -–") for p in parts if squash(p).strip(" -–")]


def _officer(labels: Labelled) -> tuple[str | None, str | None]:
    """(position, name) from "Pareigūnas: <position> <name>" and/or separate "Pareigos" / "Vardas, pavardė"."""
    position = labels.first("position") or None
    name = labels.first("name") or None
    if labels.first("person"):
        pos, person = split_position_name(labels.first("person") or "")
        position = position or pos
        name = name or person
    return position, name


def _institution(labels: Labelled, text: str) -> str | None:
    value = labels.first("institution")
    if value:
        return value
    m = _INSTITUTION_PROSE.search(text)
    if not m:
        return None
    territorial = _TERRITORIAL.match(m.group(0))
    if territorial:  # prose declines the name ("Kauno teritorinės muitinės"); report it as the form would
        return f"{territorial.group(1)} teritorinė muitinė"
    return squash(m.group(0))


def _other_emails(text: str, sender: str) -> list[str]:
    """Addresses in `text` other than the sender's (the officer is not the one sending, 1B-280:8)."""
    own = set(find_emails(sender)) | {"itpc@lrmuitine.lt"}
    return [e for e in find_emails(text) if e not in own]


def parse_afis_access(text: str, *, sender: str = "") -> Reading:
    """Read a Prašymas dėl teisės naudotis AFIS/CIS+ (1B-280 annex 1) from cleaned `text`."""
    text = _short_labels(text)
    labels = labelled_fields(text)
    position, name = _officer(labels)
    emails = find_emails(labels.first("email") or "")
    if not emails and "email" not in labels:
        emails = _other_emails(text, sender)
    phones = find_phones(labels.first("phone") or "")
    modules, labelled = _module_block(text)
    if not labelled and "modules" not in labels:
        modules = modules_named(text) if re.search(r"modul", fold(text)) else []
    access = access_type(_chosen(labels.first("access_type") or "")) if "access_type" in labels else None
    if access is None and "access_type" not in labels:
        access = access_type(text)
    fields = {
        "institution": _institution(labels, text),
        "officer_position": position,
        "officer_name": name,
        "officer_phone": phones[0] if phones else None,
        "officer_email": emails[0] if emails else None,
        "access_type": access,
        "modules": modules,
        "afis_mailbox": (labels.first("afis_mailbox") or "").strip(" -–—") or None,  # a dash: none named
        "purposes": _purposes(labels.first("purposes")),
    }
    missing = [key for key in AFIS_REQUIRED if not fields[key]]
    return Reading(fields, missing, 1 - len(missing) / len(AFIS_REQUIRED))


_LOSS = re.compile(r"\bpanaikint|\bnetenka\b|\bneteko\b|\batleid|\bnusalint|\bnebedirba|\bisejo\s+is\s+darbo"
                   r"|\bsustabdyt|\batsaukt|\bnebereikalinga\s+prieiga")
_CHANGE_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?!\s|$))*(?:\bpakeist|\bpasikeit|\bpapildyt|\bpanaikint|\bnetenka\b|\bneteko\b"
                              r"|\batleid|\bperkel|\bnusalint|\bnebedirba|\bisejo\s+is\s+darbo|\bsustabdyt"
                              r"|\batsaukt)(?:[^.!?\n]|[.!?](?!\s|$))*[.!?]?")
_NAME_AFTER_ROLE = re.compile(
    r"\b(?:pareigūn|pareigun|naudotoj|darbuotoj|inspektor|specialist|vedėj|vedej)\w*\s+"
    r"([A-ZĄČĘĖĮŠŲŪŽ][a-ząčęėįšųūž]+\s+[A-ZĄČĘĖĮŠŲŪŽ][a-ząčęėįšųūž]+)")


def _changed_on(change: str | None, received_at: datetime | None) -> str | None:
    """The date the change takes effect (the first date in what changes, 14-15), ISO; None when none is given."""
    days = [m.day for m in find_moments(change or "", received_at=received_at) if m.day is not None]
    return days[0].isoformat() if days else None


def parse_afis_change(text: str, *, sender: str = "", received_at: datetime | None = None) -> Reading:
    """Read a change or loss of AFIS/CIS+ rights (1B-280:14–15).

    `change` is the sentence (or "Pakeitimas:" value) saying what changes; `change_type` is "loss" when
    the rights end (15: dismissal, suspension, other duties) and "modification" otherwise (14).  `missing`
    lists "officer_name" when the user is identified by neither name nor e-mail, and "change" when the
    text does not say what changes. `changed_on` is the date the change takes effect, when the text gives one:
    the supervisor's 2 working days for the notice run from it.
    """
    text = _short_labels(text)
    labels = labelled_fields(text)
    position, name = _officer(labels)
    if not name:
        m = _NAME_AFTER_ROLE.search(text)
        name = m.group(1) if m else None
    emails = find_emails(labels.first("email") or "") or _other_emails(text, sender)
    change = labels.first("change")
    if not change:
        m = _CHANGE_SENTENCE.search(fold(text))
        change = squash(text[m.start():m.end()]) if m else None
    fields = {
        "institution": _institution(labels, text),
        "officer_name": name,
        "officer_email": emails[0] if emails else None,
        "change": change,
        "change_type": ("loss" if _LOSS.search(fold(change)) else "modification") if change else None,
        "changed_on": _changed_on(change, received_at),
        "modules": modules_named(text),
    }
    missing = []
    if not name and not fields["officer_email"]:
        missing.append("officer_name")
    if not change:
        missing.append("change")
    found = sum(bool(fields[k]) for k in ("institution", "officer_name", "officer_email", "change"))
    return Reading(fields, missing, found / 4)
