"""What kind of request a text is, and where a reply's quoted history begins.

Kind detection works on folded text (no diacritics, lower case) with keyword evidence per kind; the field
parsers add their own evidence (how much of the form they could fill) to make the final confidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.field_text import fold

CONTINUITY = "continuity"
EARLY_RECOVERY = "early_recovery"
AFIS_ACCESS = "afis_access"
AFIS_CHANGE = "afis_change"
NOT_A_REQUEST = "not_a_request"

# --- reply history ----------------------------------------------------------------------------------------

_HISTORY_START = re.compile(
    r"^(?:>"
    r"|-{2,}\s*(?:original message|forwarded message|persiustas laiskas|persiunciamas laiskas|pradinis laiskas"
    r"|originalus laiskas|ankstesnis laiskas)"
    r"|(?:begin forwarded message|persiunciamas laiskas|persiustas laiskas)\s*:?"
    r"|_{8,}\s*$"
    r"|on\b.{0,120}\bwrote:\s*$"
    r"|.{0,120}\brase:\s*$"
    r")",
    re.MULTILINE,
)
_HEADER_FROM = re.compile(r"^(?:\*\s*)?(?:nuo|from|siuntejas)\s*:", re.MULTILINE)
_HEADER_NEXT = re.compile(r"^(?:\*\s*)?(?:issiusta|siusta|sent|data|date|kam|to|tema|subject|gauta)\s*:")


def history_start(text: str) -> int | None:
    """Offset of the first line that opens quoted or forwarded history, or None."""
    folded = fold(text)
    starts = []
    m = _HISTORY_START.search(folded)
    if m:
        starts.append(m.start())
    for h in _HEADER_FROM.finditer(folded):
        following = folded[h.end():].split("\n")[1:5]
        if any(_HEADER_NEXT.match(line.strip()) for line in following):
            starts.append(h.start())
            break
    return min(starts) if starts else None


def without_quoted(text: str) -> str:
    """Only the lines the sender wrote: every "> " quoted line dropped (for replies written under quotes)."""
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))


def unquote(text: str) -> str:
    """Drop the "> " quoting from every line (for reading a forwarded request that is only quoted)."""
    return re.sub(r"^(?:\s*>)+ ?", "", text, flags=re.MULTILINE)


# --- kind evidence ----------------------------------------------------------------------------------------

_CONTINUITY_SIGNS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"veiklos\s+testinumo"), 0.45),
    (re.compile(r"\bvtp\b(?!\s*-?\s*\d)"), 0.25),
    (re.compile(r"\bpras(?:au|ome|o|ytume)\b[^.\n]{0,40}\bsutikim"), 0.25),
    (re.compile(r"\bprasym\w*\s+taikyti"), 0.25),
    (re.compile(r"(?<![a-z])(?:mdas|ntks)(?![a-z])"), 0.15),
    (re.compile(r"\bneveik|\bsutrik|\bsuged|\bgedim|\bnutruk|\btrikd|\bnera\s+rysio"), 0.1),
    (re.compile(r"\beori\b"), 0.1),
    (re.compile(r"\bpriezast|\bdeklaravimo\s+viet|muitines\s+istaig|\bpradzia\b|\bpabaiga\b|\blaikotarp"), 0.15),
)
RECOVERY_SIGNS = re.compile(
    r"\bvel\s+(?:veikia|galime|dirba|vykdome|teikiame|veikia)|\bveikia\s+(?:iprastai|normaliai|be\s+sutrikim)"
    r"|\batkurt|\bnebereikaling|\bpasalint|\bsutvarkyt|\bpradejo\s+veikti|\bsistema\s+veikia|\bveikia\s+nuo"
    r"|\bnebetaik|\bvykdome\s+iprastai|\bnebenaudosime|\bgedimas\s+istaisyt|\bistaisyt"
)
_CONSENT_NO = re.compile(r"\bvtp\s*-?\s*\d{4}\s*-?\s*\d{6}\b")
_AFIS_SIGNS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"(?<![a-z])afis(?![a-z])"), 0.45),
    (re.compile(r"(?<![a-z])cis\s*\+|(?<![a-z])cis\s*\((?:eu|ms)\)"), 0.3),
    (re.compile(r"prieigos\s+tipas|afis\s+pasto\s+dezut|\bmoduliai\b|\btikslai\b"), 0.2),
    (re.compile(r"teis\w*\s+naudotis|naudotojo\s+teis|prieig"), 0.15),
)
_AFIS_CHANGE_SIGNS = re.compile(
    r"\bpakeist|\bpasikeit|\bpapildyt\w*\s+(?:teis|prieig|modul)|\bpanaikint|\bnetenka\b|\bneteko\b|\batleid"
    r"|\bperkel|\bnusalint|\bnebedirba|\bisejo\s+is\s+darbo|\bsustabdyt\w*\s+(?:teis|prieig)|\batsaukt"
)
_AFIS_ACCESS_FORM = re.compile(r"prieigos\s+tipas|\bsuteikti\s+teis|teis\w*\s+naudotis\s+afis.{0,40}suteikim"
                               r"|\bprasymas\s+del\s+teises\s+naudotis")


@dataclass(frozen=True)
class KindEvidence:
    kind: str
    score: float  # 0..1 keyword evidence for `kind`


def detect_kind(text: str, subject: str = "") -> KindEvidence:
    """The request kind `text` (with its mail subject) reads as, with keyword evidence 0..1."""
    body = fold(text)
    subj = fold(subject)
    consent_named = bool(_CONSENT_NO.search(body) or _CONSENT_NO.search(subj))

    continuity = sum(w for p, w in _CONTINUITY_SIGNS if p.search(body))
    continuity += 0.2 if re.search(r"veiklos\s+testinumo|\bvtp\b(?!\s*-?\s*\d)", subj) else 0.0
    afis = sum(w for p, w in _AFIS_SIGNS if p.search(body))
    afis += 0.1 if re.search(r"(?<![a-z])afis(?![a-z])|cis\s*\+", subj) else 0.0
    recovering = bool(RECOVERY_SIGNS.search(body))
    # A new request written as a reply to an old consent ("vėl nutrūko ...") is a request, not a recovery.
    asks_again = bool(re.search(r"\bpras(?:au|ome|o)\b[^.\n]{0,40}\bsutikim", body))

    if afis >= 0.45 and afis >= continuity:
        if _AFIS_CHANGE_SIGNS.search(body) and not _AFIS_ACCESS_FORM.search(body):
            return KindEvidence(AFIS_CHANGE, min(1.0, afis + 0.2))
        return KindEvidence(AFIS_ACCESS, min(1.0, afis))
    if consent_named and recovering and not asks_again:
        return KindEvidence(EARLY_RECOVERY, 1.0 if _CONSENT_NO.search(body) else 0.8)
    if continuity >= 0.4:
        return KindEvidence(CONTINUITY, min(1.0, continuity))
    return KindEvidence(NOT_A_REQUEST, 0.0)
