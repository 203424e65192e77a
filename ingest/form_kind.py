"""What kind of request a text is, and where a reply's quoted history begins.

Kind detection works on folded text (no diacritics, lower case) with keyword evidence per kind; the field
parsers add their own evidence (how much of the form they could fill) to make the final confidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.field_text import fold
from ingest.keywords import Keyword

CONTINUITY = "continuity"
EARLY_RECOVERY = "early_recovery"
AFIS_ACCESS = "afis_access"
AFIS_CHANGE = "afis_change"
CORRESPONDENCE = "correspondence"
NOT_A_REQUEST = "not_a_request"
ETD_CONSULTATION_REPLY = "etd_consultation_reply"  # a returned TC26 form (1B-1052:16), see ingest.form_tc26

# --- reply history ----------------------------------------------------------------------------------------

_HISTORY_START = Keyword(
    r"(?m)^(?:>"
    r"|-{2,}\s*(?:original message|forwarded message|persiustas laiskas|persiunciamas laiskas|pradinis laiskas"
    r"|originalus laiskas|ankstesnis laiskas)"
    r"|(?:begin forwarded message|persiunciamas laiskas|persiustas laiskas)\s*:?"
    r"|_{8,}\s*$"
    r"|on\b.{0,120}\bwrote:\s*$"
    r"|.{0,120}\brase:\s*$"
    r")",
    (">", "--", "begin forwarded message", "persiunciamas laiskas", "persiustas laiskas", "________", "wrote:",
     "rase:"), leading=False,
)
_HEADER_FROM = Keyword(r"(?m)^(?:\*\s*)?(?:nuo|from|siuntejas)\s*:", ("*", "nuo", "from", "siuntejas"))
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

_CONTINUITY_SIGNS: tuple[tuple[Keyword, float], ...] = (
    (Keyword(r"veiklos\s+testinumo", ("veiklos",)), 0.45),
    (Keyword(r"\bvtp\b(?!\s*-?\s*\d)", ("vtp",)), 0.25),
    (Keyword(r"\bpras(?:au|ome|o|ytume)\b[^.\n]{0,40}\bsutikim", ("pras",)), 0.25),
    (Keyword(r"\bprasym\w*\s+taikyti", ("prasym",)), 0.25),
    (Keyword(r"(?<![a-z])(?:mdas|ntks)(?![a-z])", ("mdas", "ntks")), 0.15),
    (Keyword(r"\bneveik|\bsutrik|\bsuged|\bgedim|\bnutruk|\btrikd|\bnera\s+rysio",
             ("neveik", "sutrik", "suged", "gedim", "nutruk", "trikd", "nera")), 0.1),
    (Keyword(r"\beori\b", ("eori",)), 0.1),
    (Keyword(r"\bpriezast|\bdeklaravimo\s+viet|muitines\s+istaig|\bpradzia\b|\bpabaiga\b|\blaikotarp",
             ("priezast", "deklaravimo", "muitines", "pradzia", "pabaiga", "laikotarp")), 0.15),
)
_CONTINUITY_SUBJECT = Keyword(r"veiklos\s+testinumo|\bvtp\b(?!\s*-?\s*\d)", ("veiklos", "vtp"))
RECOVERY_SIGNS = Keyword(
    r"\bvel\s+(?:veikia|galime|dirba|vykdome|teikiame|veikia)|\bveikia\s+(?:iprastai|normaliai|be\s+sutrikim)"
    r"|\batkurt|\bnebereikaling|\bpasalint|\bsutvarkyt|\bpradejo\s+veikti|\bsistem\w*\s+veikia|\bveikia\s+nuo"
    r"|\bnebetaik|\bvykdome\s+iprastai|\bnebenaudosime|\bgedimas\s+istaisyt|\bistaisyt",
    ("vel", "veikia", "atkurt", "nebereikaling", "pasalint", "sutvarkyt", "pradejo", "sistem", "nebetaik",
     "vykdome", "nebenaudosime", "gedimas", "istaisyt"),
)
# A recovery word that is denied or still ahead ("nėra atkurta", "bus atkurta", "kol bus pašalintas").
_NOT_YET = re.compile(r"(?:\b(?:ne|nera|nebuvo|nebus|bus|busime|kol|dar|neva|tikimes|tikimasi|planuojama|turetu)"
                      r"(?:\s+(?:ne|dar|bus|buvo|visiskai|pilnai|iki\s+galo))*)\s+$")
# The systems are still down (1B-1029:14: a new Prasymas follows, not a notice under 16).
_STILL_DOWN = Keyword(
    r"\bvis\s+dar\s+ne|\btebe(?:ne)?(?:veik|dirb|trikd)|\btebera\s+(?:sutrik|suged|neveik)|\biki\s+siol\s+ne"
    r"|\bdar\s+ne(?:veik|atkurt|pasalint|sutvarkyt|istaisyt|pavyk|dirb)|\b(?:neveikia|nedirba|neveiks)\b"
    r"|\bne(?:atkurt|pasalint|sutvarkyt|istaisyt)",
    ("vis", "tebe", "iki", "dar", "neveik", "nedirba", "neatkurt", "nepasalint", "nesutvarkyt", "neistaisyt"),
)
# Asking for the procedure to go on: another consent, a longer one, or leave to continue.
_CONTINUE = Keyword(
    r"\bpratest|\b(?:prasome|prasau|prasytume|leisti)\s+(?:\w+\s+){0,3}?testi\b"
    r"|\b(?:nauj|kit|pakartotin)\w*\s+(?:prasym|sutikim)|\bdar\s+vien\w*\s+sutikim",
    ("pratest", "prasome", "prasau", "prasytume", "leisti", "nauj", "kit", "pakartotin", "dar"),
)
_ASKS_CONSENT = Keyword(r"\bpras(?:au|ome|o|ytume)\b[^.\n]{0,40}\b(?:sutikim|taikyti|leisti|isduoti)"
                        r"|\bprasymas\s+taikyti", ("pras",))
# An inquiry about the procedure, not a request under it: questions, and no period asked for.
_QUESTION = Keyword(r"\?|\bklausim|\bpasitikslint|\bnoretume\s+(?:suzinoti|paklausti|pasiteirauti)|\bteiraujames",
                    ("?", "klausim", "pasitikslint", "noretume", "teiraujames"))
_DATED = re.compile(r"\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}|\b\d{1,2}\s*[:.]\s*\d{2}\b|\d{4}\s*m\."
                    r"|\bnuo\s+(?:dabar|siandien|ryt)")
# Our own numbers: a request, a consent, an AFIS request (in a subject, a quoted letter, our Message-IDs).
OUR_NUMBER = re.compile(r"\b(ITPC|VTP|AFIS)\s*-\s*(\d{4})\s*-\s*(\d{6})(?!\d)", re.IGNORECASE)
_CONSENT_NO = Keyword(r"\bvtp\s*-?\s*\d{4}\s*-?\s*\d{6}\b", ("vtp",))
_CONSENT_WORD = Keyword(r"\bsutikim", ("sutikim",))
_AFIS_SIGNS: tuple[tuple[Keyword, float], ...] = (
    (Keyword(r"(?<![a-z])afis(?![a-z])", ("afis",)), 0.45),
    (Keyword(r"(?<![a-z])cis\s*\+|(?<![a-z])cis\s*\((?:eu|ms)\)", ("cis",)), 0.3),
    (Keyword(r"prieigos\s+tipas|afis\s+pasto\s+dezut|\bmoduliai\b|\btikslai\b",
             ("prieigos", "afis", "moduliai", "tikslai")), 0.2),
    (Keyword(r"teis\w*\s+naudotis|naudotojo\s+teis|prieig", ("teis", "naudotojo", "prieig")), 0.15),
)
_AFIS_SUBJECT = Keyword(r"(?<![a-z])afis(?![a-z])|cis\s*\+", ("afis", "cis"))
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
    numbered_in_body = bool(_CONSENT_NO.search(body))
    consent_named = numbered_in_body or bool(_CONSENT_NO.search(subj))

    continuity = sum(w for p, w in _CONTINUITY_SIGNS if p.search(body))
    continuity += 0.2 if _CONTINUITY_SUBJECT.search(subj) else 0.0
    afis = sum(w for p, w in _AFIS_SIGNS if p.search(body))
    afis += 0.1 if _AFIS_SUBJECT.search(subj) else 0.0

    if afis >= 0.45 and afis >= continuity:
        if _AFIS_CHANGE_SIGNS.search(body) and not _AFIS_ACCESS_FORM.search(body):
            return KindEvidence(AFIS_CHANGE, min(1.0, afis + 0.2))
        return KindEvidence(AFIS_ACCESS, min(1.0, afis))
    # A notice under 1B-1029:16 refers to a consent (by number or not) and says the systems work again; one
    # that says they are still down, asks to go on or asks for a consent is a new request (14).
    about_consent = consent_named or bool(_CONSENT_WORD.search(body))
    if about_consent and recovered(body) and not asks_again(body):
        return KindEvidence(EARLY_RECOVERY, 1.0 if numbered_in_body else 0.8 if consent_named else 0.7)
    if is_inquiry(body, subj):
        return KindEvidence(NOT_A_REQUEST, 0.0)
    if about_consent and still_down_or_going_on(body):
        continuity = max(continuity, 0.4)  # short as it may be, it is the next Prasymas (14)
    if continuity >= 0.4:
        return KindEvidence(CONTINUITY, min(1.0, continuity))
    return KindEvidence(NOT_A_REQUEST, 0.0)


def recovered(folded: str) -> bool:
    """The folded text says the systems work again: a recovery word not denied or put in the future."""
    return any(not _NOT_YET.search(folded[max(0, m.start() - 40):m.start()])
               for m in RECOVERY_SIGNS.finditer(folded))


def asks_again(folded: str) -> bool:
    """The folded text asks for a consent or for the procedure to go on, or says the systems are still down."""
    return bool(_ASKS_CONSENT.search(folded)) or still_down_or_going_on(folded)


def still_down_or_going_on(folded: str) -> bool:
    """The folded text says the systems are still down or asks for the procedure to go on."""
    return bool(_CONTINUE.search(folded) or _STILL_DOWN.search(folded))


def is_inquiry(folded: str, folded_subject: str = "") -> bool:
    """A question about the procedure rather than a request under it: it asks questions, asks for no consent
    and names no date or time a consent could cover."""
    asking = _QUESTION.search(folded) or _QUESTION.search(folded_subject)
    return bool(asking) and not _ASKS_CONSENT.search(folded) and not _DATED.search(folded)


def our_numbers(*texts: str) -> list[str]:
    """Our request, consent and AFIS numbers ("ITPC-2027-000001") the texts name, normalised, in order."""
    found: list[str] = []
    for text in texts:
        for m in OUR_NUMBER.finditer(text or ""):
            number = f"{m.group(1).upper()}-{m.group(2)}-{m.group(3)}"
            if number not in found:
                found.append(number)
    return found


def case_numbers(subject: str, message_ids: list[str], own_address: str) -> list[str]:
    """Our numbers a message refers to: first in the Message-IDs of our letters it answers (In-Reply-To,
    References; ours carry the request's number and our domain), then in its subject."""
    domain = "@" + own_address.rsplit("@", 1)[-1].lower()
    ours = [ref for ref in message_ids if ref and ref.lower().strip().rstrip(">").endswith(domain)]
    return our_numbers(*ours, subject)
