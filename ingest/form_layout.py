"""The two layouts requests come in, read into raw values keyed by field.

* "Label: value" lines — plain mail, HTML tables flattened to lines, DOCX tables — with labels in any order,
  with or without diacritics, numbered or not ("4. Moduliai:"), separated by ":", a tab, "|" or a dash; a
  label alone on its line takes the next line as its value (a table cell per line).
* The 1B-1029 annex 1 form, where the value stands on the line(s) ABOVE its caption:
  "UAB Nemuno logistika ..." over "(asmens pavadinimas (vardas, pavardė) ir EORI kodas, telefono numeris)".

Both return raw strings; the field parsers normalise them.  Text is expected to have gone through
`field_text.clean` (one line per line, tabs for column gaps).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.field_text import fold, squash

# Label vocabulary: the folded label with punctuation turned to blanks → field key.
_LABELS: dict[str, tuple[str, ...]] = {
    "applicant": ("asmens pavadinimas", "asmuo", "imone", "imones pavadinimas", "bendrove", "pareiskejas",
                  "prasymo teikejas", "pavadinimas", "juridinis asmuo", "asmens imones pavadinimas",
                  "asmens vardas pavarde pavadinimas", "deklarantas", "ukio subjektas", "asmens pavadinimas vardas pavarde",
                  "imone asmuo", "prekybininkas", "ekonomines veiklos vykdytojas"),
    "eori": ("eori", "eori kodas", "eori nr", "eori numeris", "asmens eori kodas", "eori kodas nr"),
    "phone": ("telefonas", "tel", "tel nr", "telefono nr", "telefono numeris", "tel numeris",
              "kontaktinis telefonas", "mob tel", "mobilusis telefonas", "tel nr mob", "telefonas pasiteirauti"),
    "systems": ("sistema", "sistemos", "neveikianti sistema", "neveikiancios sistemos", "sutrikusi sistema",
                "sutrikusios sistemos", "sistema mdas ntks", "muitines sistema", "informacine sistema"),
    "period": ("laikotarpis", "laiko tarpas", "prasomas laikotarpis", "veiklos testinumo laikotarpis",
               "taikymo laikotarpis", "terminas", "data ir laikas", "laikas", "periodas"),
    "period_from": ("nuo", "pradzia", "laikotarpio pradzia", "pradzios data", "pradzios laikas", "data nuo",
                    "laikas nuo", "taikyti nuo", "pradzia data laikas", "periodo pradzia"),
    "period_to": ("iki", "pabaiga", "laikotarpio pabaiga", "pabaigos data", "pabaigos laikas", "data iki",
                  "laikas iki", "taikyti iki", "pabaiga data laikas", "periodo pabaiga"),
    "customs_offices": ("muitines istaigos", "muitines istaiga", "muitines postai", "muitines postas", "postai",
                        "postas", "deklaravimo vietos", "deklaravimo vieta", "istaigos", "muitines istaigu kodai",
                        "muitines istaigos kodas", "muitines istaigos kodai", "muitines istaigos pavadinimas"),
    "reasons": ("priezastis", "priezastys", "neveikimo priezastis", "neveikimo priezastys", "gedimo priezastis",
                "sutrikimo priezastis", "sutrikimo priezastys", "priezastis del kurios", "priezastys del kuriu"),
    "reply": ("sutikima siusti", "sutikima prasome siusti", "sutikima prasau siusti", "atsakyma siusti",
              "atsakyma prasome siusti", "atsakyma prasau siusti", "sutikimo gavejas", "atsakymo adresas",
              "sutikima pateikti", "sutikimas siusti", "sutikima siuskite", "atsakyma siuskite", "siusti sutikima",
              "sutikimo siuntimas", "sutikimo adresas", "sutikima prasome atsiusti", "atsakyma prasome atsiusti",
              "sutikima atsiusti", "atsakyma atsiusti", "sutikima prasome siusti adresu", "siusti atsakyma"),
    "person": ("kontaktinis asmuo", "atstovas", "asmens atstovas", "igaliotas asmuo", "atsakingas asmuo",
               "asmens igaliotas kontaktinis asmuo", "asmens igaliotas asmuo", "igaliotas atstovas",
               "asmens igaliotas atstovas", "kontaktinis asmuo atstovas",
               "igaliotas kontaktinis asmuo", "pareigunas", "naudotojas", "darbuotojas", "pareigunas naudotojas"),
    "position": ("pareigos", "pareigu pavadinimas", "pareiguno pareigos"),
    "name": ("vardas pavarde", "vardas ir pavarde", "pareiguno vardas pavarde", "naudotojo vardas pavarde"),
    "institution": ("institucija", "istaiga", "muitines istaiga arba institucija", "institucijos pavadinimas",
                    "padalinys", "muitines istaiga ar institucija"),
    "email": ("el p", "el pastas", "el pasto adresas", "e mail", "email", "e pastas", "el p adresas", "e p"),
    "access_type": ("prieigos tipas", "prieiga", "prieigos budas", "prieigos rusis"),
    "modules": ("moduliai", "modulis", "afis cis moduliai", "reikalingi moduliai"),
    "afis_mailbox": ("afis pasto dezute", "afis pasto dezutes", "pasto dezute"),
    "purposes": ("tikslai", "tikslas", "naudojimo tikslai", "prieigos tikslai", "tikslai kuriems"),
    "change": ("pakeitimas", "keitimas", "pokytis", "kas keiciasi", "pakeitimai", "prasomi pakeitimai"),
    "consent_no": ("sutikimo nr", "sutikimo numeris", "sutikimas nr"),
    "supervisor": ("tiesioginis vadovas", "vadovas", "istaigos vadovas"),
}
_LABEL_KEY: dict[str, str] = {label: key for key, labels in _LABELS.items() for label in labels}
# Fields whose value may run over several lines (until a blank line or the next label).
_MULTILINE = {"reasons", "purposes", "change"}

_NUMBERING = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*[.)]\s*|[-*•]\s+)")
_NON_WORD = re.compile(r"[^\w]+")
_SEPARATOR = re.compile(r"\s*(?::|\t|\|)\s*|\s+[-–—]\s+")
_SEPARATOR_CHAR = re.compile(r"[:\t|\-–—]")  # what every separator holds; found far faster than a separator
_CLOSING = re.compile(r"^(?:pagarbiai|su pagarba|aciu|dekojame|laba diena|sveiki|linkejimai|geros dienos)\b")
_CHECKBOX = re.compile(r"^\s*[\[(]\s*[xX✓✔vV*■☒ ]?\s*[\])]")


# A label qualified by a relative clause, as the law words point 8.3 ("priežastys, dėl kurių asmuo negali
# vykdyti elektroninių duomenų mainų"): the words before the comma name the field.
_QUALIFYING = re.compile(r"\s*(?:del\s+)?kur\w*\b")


# Every line of every text asks for the label before each of its separators, and forms repeat the same
# labels message after message: the answers are kept (bounded; a pure function of the string).
@lru_cache(maxsize=2048)
def label_key(label: str) -> str | None:
    """The field a label names: "EORI kodas" → "eori", "Pradzia" → "period_from"; unknown → None."""
    norm = _NON_WORD.sub(" ", fold(_NUMBERING.sub("", label.strip()))).strip()
    key = _LABEL_KEY.get(norm)
    if key is None and "(" in label:  # "Muitinės įstaigos (kodai)"
        key = label_key(label.split("(", 1)[0])
    head, comma, clause = label.partition(",")
    if key is None and comma and _QUALIFYING.match(fold(clause[:16])):  # "Priežastys, dėl kurių negalime ..."
        key = label_key(head)
    return key


def _split_label(line: str) -> tuple[str, str, bool] | None:
    """(key, value, had_separator) when `line` starts with a known label."""
    body = line.strip()
    if body[:1].isdigit() or body[:1] in ("-", "*", "•"):  # what numbering starts with ("4.", "- ")
        body = _NUMBERING.sub("", body)
    if body.startswith("("):  # a caption of the annex form, not a label
        return None
    separators = _SEPARATOR.finditer(body) if _SEPARATOR_CHAR.search(body) else ()
    for m in separators:
        key = label_key(body[:m.start()])
        if key is not None:
            return key, body[m.end():].strip(), True
        if m.start() > 60:
            break
    key = label_key(body.rstrip(":"))
    if key is not None:
        return key, "", False
    return None


def is_label_line(line: str) -> bool:
    """Whether `line` is a "Label: value" line of the known vocabulary."""
    return _split_label(line) is not None


@dataclass
class Labelled:
    """Values found on label lines: key → values in order (an empty string where the label had none)."""
    values: dict[str, list[str]] = field(default_factory=dict)

    def first(self, key: str) -> str | None:
        """The first non-empty value for `key`; "" when the label is there but empty; None when absent."""
        vals = self.values.get(key)
        if vals is None:
            return None
        return next((v for v in vals if v), "")

    def __contains__(self, key: str) -> bool:
        return key in self.values


_LABEL_LIKE = re.compile(r"^[^\W\d][\w .,/()+-]{0,40}?:(?!\d)")


def _plain_value_line(line: str) -> bool:
    """A line that can be (part of) a value: not a label, a caption, a checkbox or a closing formula."""
    stripped = line.strip()
    return bool(stripped) and _split_label(stripped) is None and not _CLOSING.match(fold(stripped)) \
        and not stripped.startswith("(") and not _CHECKBOX.match(stripped) \
        and not (_LABEL_LIKE.match(stripped) and len(stripped.split(":", 1)[0].split()) <= 4)


def labelled_fields(text: str) -> Labelled:
    """Read every "Label: value" line of `text` (see the module docstring)."""
    out = Labelled()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        hit = _split_label(line)
        if hit is None:
            continue
        key, value, _ = hit
        j = i + 1
        if not value and j < len(lines) and _plain_value_line(lines[j]):
            value, j = lines[j].strip(), j + 1  # a table flattened to one cell per line
        if key in _MULTILINE and value:
            while j < len(lines) and _plain_value_line(lines[j]):
                value += " " + lines[j].strip()
                j += 1
        out.values.setdefault(key, []).append(squash(value.replace("\t", " ")))
    return out


# --- annex 1 form (1B-1029): values above captions ---------------------------------------------------------

# Caption keywords (folded) → field.  A caption is a parenthesised line under the value it describes.
_CAPTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"asmens\s*pavadinim|eori\s*kod"), "applicant"),
    (re.compile(r"data,?\s*val"), "period"),
    (re.compile(r"nereikaling\w*\s*isbrauk"), "systems"),
    (re.compile(r"nurodyti\s*pavadinim"), "customs_offices"),
    (re.compile(r"nurodyti\s*priezast"), "reasons"),
    (re.compile(r"elektroninio\s*pasto\s*adres|fakso\s*numer"), "reply"),
    (re.compile(r"pareig\w*\s*pavadinim"), "signature"),
    (re.compile(r"sudarymo\s*vieta|^\(?\s*data\s*\)?$|^\(?\s*parasas\s*\)?$|vardas\s*ir\s*$|^pavarde\)"), "other"),
)
# What the form prints in front of a value on the same line; removed before the value is read.
_FORM_PREFIX = {
    "systems": re.compile(r"^.*procedur\w*\s*"),
    "customs_offices": re.compile(r"^.*siose\s+muitines\s+istaigose\s*:?\s*"),
    "reasons": re.compile(r"^.*?\bnes\b\s*,?\s*"),
}


def _caption_kind(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or len(stripped) > 160 or not (stripped.startswith("(") or stripped.endswith(")")):
        return None
    folded = fold(stripped)
    for pattern, kind in _CAPTIONS:
        if pattern.search(folded):
            return kind
    return None


def caption_fields(text: str) -> dict[str, str]:
    """Values of the annex 1 form, keyed like `labelled_fields` plus "applicant_line" and "signature".

    The value of a caption is the block of lines between the previous caption (or a blank line) and it;
    the applicant line and the signature line are the single line right above their captions.
    """
    lines = text.split("\n")
    out: dict[str, str] = {}
    previous = -1
    for i, line in enumerate(lines):
        kind = _caption_kind(line)
        if kind is None:
            continue
        block: list[str] = []
        j = i - 1
        while j > previous and len(block) < 4:
            above = lines[j].strip()
            if above:
                block.insert(0, above)
            elif block:
                break
            if kind in ("applicant", "signature") and block:
                break
            j -= 1
        previous = i
        if kind == "other" or not block or kind in out:
            continue
        value = squash(" ".join(block).replace("\t", " ")) if kind != "signature" else block[0]
        prefix = _FORM_PREFIX.get(kind)
        if prefix is not None:
            folded = fold(value)
            m = prefix.match(folded)
            if m:
                value = value[m.end():]
        out["applicant_line" if kind == "applicant" else kind] = value.strip()
    return out


_SIGNATURE_SPLIT = re.compile(r"\s*\(\s*para[sš]as\s*\)\s*|\t+")


def split_signature(line: str) -> tuple[str | None, str | None]:
    """"Direktorius (parašas) Tomas Jankauskas" → ("Direktorius", "Tomas Jankauskas")."""
    parts = [p.strip() for p in _SIGNATURE_SPLIT.split(line) if p and p.strip()]
    if len(parts) >= 2:
        return parts[0], parts[-1]
    return None, None
