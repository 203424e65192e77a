"""A returned TC26 form (1B-1052 annex) → what the consulted authority answered.

The reply arrives as the filled-in PDF (its text, via ingest.documents) or typed into an e-mail, in the
annex's Lithuanian or in English. Read: our file number (ETD-YYYY-NNNNNN), the MSVS number, the replying
authority (block 2) and its country, the conditions of part I.3 it ticks as not met with their ports, the
answers a–e of part II, the remarks, and whether the answer agrees to the authorisation. People tick with
X, x, ☒, ☑, ✓, ✔, [x], (x) and leave ☐, □, [ ], o; labels come with or without diacritics and spacing varies.

Pure: no I/O. ``looks_like_tc26`` is the kind test ``ingest.forms`` runs before the other kinds.
"""
from __future__ import annotations

import re
from typing import Any

from ingest.field_text import clean, fold
from ingest.keywords import Keyword

# Part I.3 conditions, in the annex's order, and the part II questions they mirror.
CONDITIONS = ("etd_data", "flights", "infringements", "control", "competence")
QUESTIONS = ("a", "b", "c", "d", "e")
# The answer to each part II question that agrees to (keeps) the authorisation: c asks about infringements.
AGREEING_ANSWERS = {"a": True, "b": True, "c": False, "d": True, "e": True}

# Our file number, however it was retyped ("ETD 2026 000001", "etd-2026-000001").
FILE_NUMBER = re.compile(r"\betd\s*-?\s*(\d{4})\s*-?\s*(\d{6})(?!\d)")
_FORM_NAMED = Keyword(r"(?<![a-z0-9])tc\s*-?\s*26(?!\d)|konsultavimosi\s+del\s+sajungos|consultation\s+form\s+for"
                      r"\s+(?:the\s+)?union", ("tc", "konsultavimosi", "consultation"))
_FORM_PARTS = re.compile(r"konsultavimasis\s+(?:suteikiant|stebint)"
                         r"|consultation\s+(?:when|for)\s+(?:granting|monitoring)"
                         r"|jei\s+neivykdoma\s+kuri|if\s+any\s+condition")

# Folded, at the start of a line: the form's blocks and parts (Lithuanian as in the annex, or English).
_HEADING_PATTERNS = (
    ("requesting", r"^1\s*\.\s*(?:prasancioji\s+institucija|requesting\s+authority)"),
    ("requested", r"^2\s*\.\s*(?:institucija,?\s+i\s+kuria\s+kreipiamasi|requested\s+authority)"),
    ("company", r"^3\s*\.\s*(?:pareiskejas|applicant)"),
    ("number", r"^4\s*\.\s*(?:prasymo|application)"),
    ("signed_requesting", r"^5\s*\.\s*(?:prasancioji|requesting)"),
    ("signed_requested", r"^6\s*\.\s*(?:institucija|requested)"),
    ("part_one", r"^i\s*\.\s*(?:konsultavimasis|consultation)"),
    ("conditions", r"^(?:(?:i\s*\.\s*)?3\s*\.\s*)?(?:jei\s+neivykdoma|if\s+any\s+condition)"),
    ("part_two", r"^ii\s*\.\s*(?:konsultavimasis|consultation)"),
)
_HEADINGS = tuple((name, re.compile(pattern, re.MULTILINE)) for name, pattern in _HEADING_PATTERNS)

# Tick marks people use, and the empty boxes they leave.
_TICK = r"(?:\[\s*[x✓✔✗✘v]\s*\]|\(\s*[x✓✔✗✘v]\s*\)|[☒☑✓✔✗✘■▣●]|(?<![\w])x(?![\w]))"
_EMPTY = r"(?:\[\s*\]|\(\s*\)|[☐□○◯]|(?<![\w])o(?![\w]))"
# A mark drawn over the printed box reads as the box and the mark, in either order ("☐X", "X☐").
_TICKED_START = re.compile(rf"^\s*(?:[-*•]\s*)?(?:{_EMPTY}\s*)?{_TICK}\s*\S")
_TICKED_END = re.compile(rf"\S\s*[:\-–]?\s*{_TICK}\s*$")
_CONDITION_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("etd_data", re.compile(r"negali\s+uztikrinti|cannot\s+ensure|etd\s+(?:duomenys|data)")),
    ("flights", re.compile(r"nevykdo\s+daug|does\s+not\s+operate|significant\s+number")),
    ("infringements", re.compile(r"padares\s+sunkiu|kartotiniu|infringements|criminal\s+offences")),
    ("control", re.compile(r"uztikrina\s+auksta|valdymo\s+lygi|high\s+level\s+of\s+control")),
    ("competence", re.compile(r"laikosi\s+su\s+vykdoma|kompetencijos|competence|professional\s+qualification")),
)
_PORTS = re.compile(r"^\s*(?:uostas\s*\(\s*-?\s*ai\s*\)|uostai|port\s*\(\s*s\s*\)|ports?)\s*:?\s*", re.MULTILINE)
_QUESTION_MARK = re.compile(r"(?:(?<=\s)|^)\(?([a-e])\s*\)\s*", re.MULTILINE)
_YES_NO = re.compile(r"(?<![\w])(taip|yes|ne|no)(?![\w])")
_REMARKS = re.compile(r"^\s*(?:kitos\s+)?pastabos\s*:?|^\s*(?:other\s+)?remarks\s*:?", re.MULTILINE)
_REMARK_LINE = re.compile(r"^\s*(?:kitos\s+)?pastabos.*$|^\s*(?:other\s+)?remarks.*$", re.MULTILINE)
_LEADERS = re.compile(r"^(?:\s|…|\.{2,}|_)+|(?:\s|…|\.{2,}|_)+$")
_FILLER = re.compile(r"[.…_\s,;:]+")
_DATE = re.compile(r"\d{4}\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}|\d{1,2}\s*[./]\s*\d{1,2}\s*[./]\s*\d{4}")
# Said in so many words (folded): the consulted authority has no objection, or has one.
_AGREES = re.compile(r"\bno\s+objections?\b|\bhas\s+no\s+objection"
                     r"|\ball\s+(?:the\s+)?conditions\s+(?:are\s+)?(?:fulfilled|met)"
                     r"|\bconditions\s+are\s+(?:all\s+)?(?:fulfilled|met)|\bwe\s+agree\b"
                     r"|\bagree\s+(?:to|with)\s+the\s+grant|\b(?:do|does)\s+not\s+object\b"
                     r"|\bpriestaravimu\s+neturime|\bnepriestaraujame"
                     r"|\bsutinkame\b|\bvisos\s+salygos\s+(?:yra\s+)?ivykdytos")
_DISAGREES = re.compile(r"\bnesutinkame\b|\bpriestaraujame\b|\bwe\s+(?:do\s+not|don't)\s+agree|\bwe\s+object\b"
                        r"|\b(?:has|have)\s+objections\b")
_MSVS = (re.compile(r"\b([a-z]{2}[a-z0-9]{4,}[0-9][a-z0-9/-]*)\s*\(\s*msvs", re.IGNORECASE),
         re.compile(r"\bmsvs\b[^\n:]{0,40}?(?:nr\.?|no\.?|number|numeris)?\s*[:#]?\s*([a-z]{2}[a-z0-9/-]{5,})",
                    re.IGNORECASE))
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.([a-z]{2,})\b", re.IGNORECASE)
_OFFICE = re.compile(r"\b([A-Z]{2})[A-Z0-9]{6}\b")


def looks_like_tc26(text: str, subject: str = "") -> bool:
    """Whether ``text`` (with its mail subject) is a returned TC26 form or a typed answer to one: it names the
    form (TC26 or its title) and our ETD file number, or carries the form's part I.3 or part II."""
    folded, subj = fold(text or ""), fold(subject or "")
    if not (_FORM_NAMED.search(folded) or _FORM_NAMED.search(subj)):
        return False  # most texts: no need to look for our file number or the form's parts
    numbered = bool(FILE_NUMBER.search(folded) or FILE_NUMBER.search(subj))
    return numbered or bool(_FORM_PARTS.search(folded))


def parse_tc26(text: str, subject: str = "") -> dict[str, Any]:
    """The answer's fields: ``file_number``, ``msvs_number``, ``authority``, ``country`` (ISO code or None),
    ``part`` ("I", "II" or None), ``conditions_not_met`` (a list of {"condition", "ports"} in CONDITIONS
    order), ``answers`` ({"a": True|False|None, ...}: YES / NO / not answered), ``remarks`` (text or None),
    and ``agrees`` (True: nothing ticked against the company and the answer is signed or says so; False: a
    condition not met or an answer against it; None: not answered clearly, for an officer)."""
    text = _unquoted(clean(text or ""))
    folded = fold(text)
    blocks = _blocks(folded)
    conditions = _conditions(text, folded, blocks)
    answers = _answers(folded, blocks)
    remarks = _remarks(text, folded, _answer_start(blocks))
    said = _said(folded)
    signed = _signed(folded, blocks)
    return {
        "file_number": _file_number(folded) or _file_number(fold(subject or "")),
        "msvs_number": _msvs_number(text) or _msvs_number(subject or ""),
        "authority": _value(text, folded, blocks.get("requested"), ("pavadinimas", "name")),
        "country": _country(text, blocks.get("requested")),
        "part": "II" if any(v is not None for v in answers.values()) else
                "I" if conditions or said is not None or "conditions" in blocks or signed else None,
        "conditions_not_met": conditions,
        "answers": answers,
        "remarks": remarks,
        "agrees": _agrees(conditions, answers, said, signed),
    }


# ------------------------------------------------------------------------------------------------ helpers


def _unquoted(text: str) -> str:
    return re.sub(r"^(?:[ \t]*>)+[ \t]?", "", text, flags=re.MULTILINE)


def _blocks(folded: str) -> dict[str, tuple[int, int]]:
    """Each heading found → the span of its block (to the next heading found after it)."""
    starts = sorted((m.start(), name) for name, pattern in _HEADINGS if (m := pattern.search(folded)))
    ends = [start for start, _ in starts[1:]] + [len(folded)]
    return {name: (start, end) for (start, name), end in zip(starts, ends)}


def _file_number(folded: str) -> str | None:
    m = FILE_NUMBER.search(folded)
    return f"ETD-{m.group(1)}-{m.group(2)}" if m else None


def _msvs_number(text: str) -> str | None:
    cleaned = FILE_NUMBER.sub(lambda m: " " * len(m.group(0)), fold(text))  # ours is never the MSVS one
    for pattern in _MSVS:
        m = pattern.search(cleaned)
        if m:
            start, end = m.span(1)
            return text[start:end].upper()
    return None


def _value(text: str, folded: str, span: tuple[int, int] | None, labels: tuple[str, ...]) -> str | None:
    """The value after "label:" inside a block, unless it is only dots."""
    if span is None:
        return None
    pattern = re.compile(rf"^\s*(?:{'|'.join(labels)})\s*:?[ \t]*(.*)$", re.MULTILINE)
    m = pattern.search(folded, *span)
    if not m:
        return None
    value = text[m.start(1):m.end(1)].strip()
    return value if _FILLER.sub("", value) else None


def _country(text: str, span: tuple[int, int] | None) -> str | None:
    """The replying authority's country: block 2's office code, else its e-mail address's country domain."""
    if span is None:
        return None
    block = text[span[0]:span[1]]
    office = _OFFICE.search(block)
    if office:
        return office.group(1)
    email = _EMAIL.search(block)
    if email and len(email.group(1)) == 2:
        code = email.group(1).upper()
        return "GB" if code == "UK" else code
    return None


def _ticked(line: str) -> bool:
    return bool(_TICKED_START.search(line) or _TICKED_END.search(line))


def _conditions(text: str, folded: str, blocks: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    """The part I.3 conditions ticked as not met, each with the ports written under it."""
    start, end = blocks.get("conditions", (0, blocks.get("part_two", (len(folded), 0))[0]))
    lines = folded[start:end].split("\n")
    offsets = _offsets(lines, start)
    found: dict[str, str | None] = {}
    for i, line in enumerate(lines):
        if not _ticked(line) or _YES_NO.search(_strip_marks(line)) and len(_strip_marks(line)) < 30:
            continue
        joined = " ".join(lines[i:i + 2])
        name = next((n for n, p in _CONDITION_WORDS if p.search(joined)), None)
        if name is None or name in found:
            continue
        found[name] = _ports_after(text, lines, offsets, i)
    return [{"condition": name, "ports": found[name]} for name in CONDITIONS if name in found]


def _ports_after(text: str, lines: list[str], offsets: list[int], i: int) -> str | None:
    """The ports written on the "Uostas (-ai):" line under condition line ``i`` (before the next condition)."""
    for j in range(i + 1, min(i + 6, len(lines))):
        if j > i + 1 and _starts_a_condition(lines[j]):
            return None
        m = _PORTS.match(lines[j])
        if m:
            value = text[offsets[j] + m.end():offsets[j] + len(lines[j])].strip()
            return _without_leaders(value) or None
    return None


def _starts_a_condition(folded_line: str) -> bool:
    return bool(re.match(rf"^\s*(?:(?:{_TICK}|{_EMPTY})\s*)+(?:leidimo\s+turetojas|the\s+holder)", folded_line))


def _offsets(lines: list[str], start: int) -> list[int]:
    out, at = [], start
    for line in lines:
        out.append(at)
        at += len(line) + 1
    return out


def _strip_marks(line: str) -> str:
    return " ".join(re.sub(rf"{_TICK}|{_EMPTY}", " ", line).split())


def _answers(folded: str, blocks: dict[str, tuple[int, int]]) -> dict[str, bool | None]:
    """Part II's answers a–e: True (YES / TAIP), False (NO / NE), None (not answered, or both)."""
    if "part_two" in blocks:
        start, end = blocks["part_two"]
    else:
        start, end = blocks.get("conditions", (0, 0))[1] if "conditions" in blocks else 0, len(folded)
    region = _REMARK_LINE.sub("", folded[start:end])  # a remark's "no" is not an answer
    marks = list(_QUESTION_MARK.finditer(region))
    answers: dict[str, bool | None] = {q: None for q in QUESTIONS}
    seen: set[str] = set()
    for n, m in enumerate(marks):
        letter = m.group(1)
        if letter in seen:
            continue  # a later "a)" is a remark's list, not the question again
        seen.add(letter)
        stop = marks[n + 1].start() if n + 1 < len(marks) else len(region)
        answers[letter] = _answer(region[m.end():stop])
    return answers


def _answer(part: str) -> bool | None:
    """YES or NO from the text under one question: the option with a tick before it, else after it, else the
    only option written on a short line of its own (the other struck out, or a typed answer)."""
    lines = [line for line in part.split("\n") if line.strip() and not line.rstrip().endswith("?")]
    lines = [line.split("?")[-1] for line in lines]
    for where in ("before", "after"):
        chosen = {_yes(m.group(1)) for line in lines for m in _YES_NO.finditer(line) if _marked(line, m, where)}
        if chosen:
            return chosen.pop() if len(chosen) == 1 else None
    written = {_yes(m.group(1)) for line in lines if len(_strip_marks(line)) <= 30 and not re.search(_EMPTY, line)
               and not re.search(r"\btaip\s+pat\b", line) for m in _YES_NO.finditer(line)}
    return written.pop() if len(written) == 1 else None


def _marked(line: str, m: re.Match[str], where: str) -> bool:
    if where == "before":  # a mark drawn over the box may read before or after it ("X☐ NE")
        return bool(re.search(rf"{_TICK}\s*(?:{_EMPTY}\s*)?:?\s*$", line[max(0, m.start() - 12):m.start()]))
    return bool(re.match(rf"\s*[:\-–]?\s*(?:{_EMPTY}\s*)?{_TICK}", line[m.end():m.end() + 12]))


def _yes(word: str) -> bool:
    return word in ("taip", "yes")


def _without_leaders(value: str) -> str:
    """A written value without the form's dotted leaders around it (a sentence keeps its full stop)."""
    return _LEADERS.sub("", value).strip()


def _answer_start(blocks: dict[str, tuple[int, int]]) -> int:
    """Where the requested authority's part of the form begins (part I.3, else part II, else the top)."""
    for name in ("conditions", "part_two"):
        if name in blocks:
            return blocks[name][0]
    return 0


def _remarks(text: str, folded: str, start: int) -> str | None:
    """What the requested authority wrote after "Pastabos" / "Remarks" (the dots dropped), one remark a line."""
    found = []
    for m in _REMARKS.finditer(folded, start):
        line_end = folded.find("\n", m.end())
        value = text[m.end():line_end if line_end >= 0 else len(text)].strip()
        if _FILLER.sub("", value):
            found.append(_without_leaders(value))
    return "\n".join(found) or None


def _said(folded: str) -> bool | None:
    """True or False when the reply says in words that it agrees or objects; None when it says neither."""
    if _DISAGREES.search(folded):
        return False
    return True if _AGREES.search(folded) else None


def _signed(folded: str, blocks: dict[str, tuple[int, int]]) -> bool:
    """Block 6 (the requested authority's place, date, signature) carries a date."""
    span = blocks.get("signed_requested")
    if span is None:
        return False
    m = re.search(r"^\s*(?:data|date)\s*:?[ \t]*(.*)$", folded[span[0]:span[1]], re.MULTILINE)
    return bool(m and _DATE.search(m.group(1)))


def _agrees(conditions: list, answers: dict[str, bool | None], said: bool | None, signed: bool) -> bool | None:
    if conditions or said is False or any(v is not None and v != AGREEING_ANSWERS[q] for q, v in answers.items()):
        return False
    if all(answers[q] == AGREEING_ANSWERS[q] for q in QUESTIONS):
        return True
    if any(v is not None for v in answers.values()):
        return None  # part of part II answered: an officer reads the rest
    return True if said or signed else None
