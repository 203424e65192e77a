"""Single request fields: EORI, phone and fax numbers, e-mail addresses, systems, consent numbers, names.

Pure functions; each takes a piece of text and returns a normalised value or None / an empty list.
"""
from __future__ import annotations

import re
import unicodedata

from ingest.field_text import fix_ocr_digits, fold, squash

# --- EORI --------------------------------------------------------------------------------------------------

# National part of an EORI number per issuing country.  Lithuania is checked exactly: LT + the 9-digit
# company code or the 12-digit VAT code (1B-1029:8.1 needs the person identified, so a malformed one is as
# good as none).  For the other EU states the usual national formats; where a state's format is loose we
# accept what the EU EORI rule allows (up to 15 alphanumerics after the country code, with a digit).
_GENERIC = r"(?=[0-9A-Z]*\d)[0-9A-Z]{1,15}"
_EORI_NATIONAL: dict[str, str] = {
    "LT": r"\d{9}|\d{12}",
    "LV": r"\d{11}",
    "EE": r"\d{8}|\d{11}",
    "PL": r"\d{10}|\d{14}|\d{15}",
    "DE": r"\d{7}|\d{15}",
    "FI": r"\d{7}-?\d",
    "SE": r"\d{10}|\d{12}",
    "DK": r"\d{8}",
    "NL": r"\d{9}|\d{12}",
    "BE": r"\d{10}",
    "FR": r"\d{9}|\d{14}|[0-9A-Z]{11}",
    "IT": r"\d{11}|[0-9A-Z]{16}",
    "ES": r"[0-9A-Z]\d{7}[0-9A-Z]",
    "AT": r"EOS\d{10}|[0-9A-Z]{1,15}",
    "CZ": r"\d{8,10}",
    "SK": r"\d{10}",
    "GB": r"\d{12}|\d{15}",
    "XI": r"\d{12}|\d{15}",
}
for _cc in ("BG", "CY", "EL", "GR", "HR", "HU", "IE", "LU", "MT", "PT", "RO", "SI"):
    _EORI_NATIONAL[_cc] = _GENERIC
_EORI_VALID = {cc: re.compile(rf"(?:{body})") for cc, body in _EORI_NATIONAL.items()}

# A candidate: a country code then digits possibly broken by blanks, dots or dashes ("LT 165 443 322").
_EORI_CANDIDATE = re.compile(r"\b([A-Za-z]{2})[\s.:-]{0,2}((?:[0-9A-Za-z|]{1,15}[ .-]?){1,15})")
_EORI_KEYWORD = re.compile(r"\beor[il1]\b(?:\s*(?:kodas|kodo|nr\.?|numeris|numeri[us]))?\s*[:.\-–]?\s*")
_LT_ANYWHERE = re.compile(r"(?<![A-Za-z0-9])LT\s?(\d{12}|\d{9}|\d{3}\s\d{3}\s\d{3})(?![0-9])")
# A Lithuanian company code (įmonės kodas, 9 digits): the national part of the company's EORI.
_COMPANY_CODE = re.compile(r"(\d{3})[ .]?(\d{3})[ .]?(\d{3})(?![\d])")
_COMPANY_KEYWORD = re.compile(
    r"(?:\b(?:imones|juridinio\s+asmens|im\.?)\s*kod(?:as|o|u)?\b|(?<![\w.])im?\.\s*k\.)"
    r"(?:\s*(?:nr\.?))?\s*[:.\-–]?\s*")
# A VAT code ("PVM mokėtojo kodas LT100011982716") has an EORI's shape but names the tax registration.
_VAT_BEFORE = re.compile(r"(?:\bpvm\b|\bvat\b)[^\n]{0,25}$")


def ascii_digits(raw: str) -> str | None:
    """``raw`` in NFKC (fullwidth and mathematical letters and digits become ASCII) with the digits of any one
    script as ASCII digits ("LT٣٠٤٩١٥٣٢٧" → "LT304915327"); None when its digits mix scripts, which no person
    writes and a forger uses to slip a number past a check."""
    if raw.isascii():
        return raw  # already what NFKC and the digit mapping would make of it
    text = unicodedata.normalize("NFKC", raw)
    zeros = {ord(c) - unicodedata.decimal(c) for c in text if unicodedata.decimal(c, None) is not None}
    if len(zeros) > 1:
        return None
    return "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c for c in text)


def normalize_eori(raw: str) -> str | None:
    """Upper-case, blanks removed, digits ASCII, checked: "lt 165 443 322" → "LT165443322"; invalid → None."""
    raw = ascii_digits(raw) if raw else None
    if not raw or not raw.isascii():
        return None
    compact = re.sub(r"[\s.\-]", "", raw).upper()
    if len(compact) < 3:
        return None
    country, national = compact[:2], compact[2:]
    if country == "LT":  # OCR: "LTl45667788"
        national = national.translate(str.maketrans({"O": "0", "I": "1", "L": "1", "|": "1"}))
    pattern = _EORI_VALID.get(country)
    if pattern is None or not pattern.fullmatch(national):
        return None
    return country + national


def _company_eori(rest: str) -> str | None:
    """"LT" + the 9-digit company code that `rest` starts with ("304 915 327" → "LT304915327"), else None."""
    m = _COMPANY_CODE.match(fix_ocr_digits(rest))
    return normalize_eori("LT" + "".join(m.groups())) if m else None


def find_eori(text: str) -> str | None:
    """The EORI a text gives, normalised, or None when it gives none readable.

    The token after an "EORI" keyword is tried first ("EORI kodas: LT 165 443 322", "(EORI LT302999888,");
    a bare 9-digit company code there is the Lithuanian EORI "LT" + code ("EORI: 304915327").  Without a token
    after any keyword (the keyword may be a form caption), a company code after its own keyword ("Įmonės
    kodas 304915327") identifies the trader the same way; else a bare LT number of EORI shape anywhere in the
    text counts, a VAT code ("PVM mokėtojo kodas LT...") only when there is nothing else.  A malformed number
    after the keyword is not replaced by a guess from elsewhere: the request then lacks a readable EORI
    (1B-1029:8.1).
    """
    text = unicodedata.normalize("NFKC", text)  # fullwidth "ＬＴ１２３" is the same as "LT123"
    folded = fold(text)
    malformed = False
    for kw in _EORI_KEYWORD.finditer(folded):
        rest = text[kw.end():kw.end() + 40].split("\n", 1)[0]
        company = _company_eori(rest)
        if company:
            return company
        m = _EORI_CANDIDATE.match(rest)
        if m and any(c.isdigit() for c in m.group(2)):
            # Try the longest prefix first: "LT 165 443 322 tel 8600..." must not swallow the phone.
            groups = re.split(r"(?<=[0-9A-Za-z|])[ .-](?=[0-9A-Za-z|])", m.group(2))
            for n in range(len(groups), 0, -1):
                value = normalize_eori(m.group(1) + "".join(groups[:n]))
                if value:
                    return value
            malformed = True
    if malformed:
        return None
    for kw in _COMPANY_KEYWORD.finditer(folded):
        company = _company_eori(text[kw.end():kw.end() + 20])
        if company:
            return company
    repaired = fix_ocr_digits(text)
    found = [(m, normalize_eori("LT" + m.group(1))) for m in _LT_ANYWHERE.finditer(repaired)]
    found = [(m, value) for m, value in found if value]
    plain = [value for m, value in found if not _VAT_BEFORE.search(fold(repaired[:m.start()]))]
    return (plain or [value for _, value in found] or [None])[0]


# --- phone and fax numbers ------------------------------------------------------------------------------------

_PHONE_CANDIDATE = re.compile(r"(?<![\w@])(?:\+|00)?\(?\d[\d ()./-]{5,20}\d(?![\w@])")


def normalize_phone(raw: str) -> str | None:
    """A Lithuanian or international number → E.164 ("+37052123456"), or None when it is not a number.

    Accepted: "+370 5 212 3456", "00370 ...", "8 5 212 3456", "(8 5) 212 3456", "(85) 2123456", "8-600-11111"
    (the trunk 8 is replaced by +370), an 8-digit national number "5 212 3456", and any "+CC..." number of
    8–15 digits.
    """
    text = ascii_digits(raw.strip())
    if text is None:
        return None
    text = fix_ocr_digits(text)
    plus = text.startswith("+")
    digits = re.sub(r"[^0-9]", "", text)
    if digits.startswith("00"):
        digits, plus = digits[2:], True
    if plus or (digits.startswith("370") and len(digits) == 11):
        if digits.startswith("370"):
            return "+" + digits if len(digits) == 11 else None
        return "+" + digits if 8 <= len(digits) <= 15 else None
    if len(digits) == 9 and digits.startswith("8"):
        return "+370" + digits[1:]
    if len(digits) == 8 and not digits.startswith("8"):
        return "+370" + digits
    return None


def find_phones(text: str) -> list[str]:
    """Every phone/fax number in `text`, E.164, in order, without repeats."""
    found: list[str] = []
    for m in _PHONE_CANDIDATE.finditer(fix_ocr_digits(unicodedata.normalize("NFKC", text))):
        number = normalize_phone(m.group(0))
        if number and number not in found:
            found.append(number)
    return found


# --- e-mail -------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def find_emails(text: str) -> list[str]:
    """E-mail addresses in `text`, lower-cased, in order, without repeats."""
    found: list[str] = []
    for m in _EMAIL.finditer(text):
        address = m.group(0).lower()
        if address not in found:
            found.append(address)
    return found


# --- systems --------------------------------------------------------------------------------------------------

# The form's own wording offers both systems; it is not a choice (1B-1029 annex 1, "nereikalinga išbraukti").
_TEMPLATE_CHOICE = re.compile(r"mdas\s+ir\s*\(\s*arba\s*\)\s*/?\s*ntks|\(\s*nereikalinga\s+isbraukti\s*\)")
_SYSTEM = re.compile(r"(?<![a-z])(mdas|ntks)(?![a-z])")


def systems_named(text: str, *, ignore_template: bool = False) -> list[str]:
    """Sorted systems ("MDAS", "NTKS") that `text` names.

    With `ignore_template`, the form's literal "MDAS ir (arba) / NTKS" offer is not counted, for text where
    that wording cannot be a choice (prose, headers); on the form's own choice line it is counted, because
    strike-through has already removed what the sender did not choose.
    """
    folded = fold(text)
    if ignore_template:
        folded = _TEMPLATE_CHOICE.sub(" ", folded)
    return sorted({m.group(1).upper() for m in _SYSTEM.finditer(folded)})


# --- consent numbers ------------------------------------------------------------------------------------------

_CONSENT_NO = re.compile(r"\bVTP\s*[-‐–]?\s*(\d{4})\s*[-‐–]?\s*(\d{6})\b", re.IGNORECASE)


def find_consent_numbers(text: str) -> list[str]:
    """Consent numbers "VTP-YYYY-NNNNNN" in `text`, normalised, in order, without repeats."""
    found: list[str] = []
    for m in _CONSENT_NO.finditer(fix_ocr_digits(text)):
        number = f"VTP-{m.group(1)}-{m.group(2)}"
        if number not in found:
            found.append(number)
    return found


# --- organisations and people ---------------------------------------------------------------------------------

_LEGAL_FORMS = r"UAB|AB|MB|IĮ|VĮ|ŽŪB|KŪB|TŪB|VšĮ|SIA|OÜ|Sp\. z o\.o\.|GmbH|Ltd"
_ORGANISATION = re.compile(
    rf"\b(?:{_LEGAL_FORMS})\s*[\"„“'«][^\"“”'»\n]{{2,80}}[\"“”'»]"      # UAB „Rytų tranzitas“
    rf"|\b(?:{_LEGAL_FORMS})\s+[A-ZĄČĘĖĮŠŲŪŽ][\w\-]*(?:[ ][\w\-]+){{0,3}}"  # UAB Marijampoles vezejai
)
# Words that end an unquoted company name in prose ("UAB Rytų tranzitas prašo ...").
_NAME_STOP = re.compile(r"\s+(?:prašo|praso|prašome|prasome|pranešame|pranesame|eori|tel|kodas|ir|yra|nuo)\b.*$",
                        re.IGNORECASE)


def find_organisation(text: str) -> str | None:
    """The first company name with its legal form ("UAB „Rytų tranzitas“"), as written, or None."""
    m = _ORGANISATION.search(text)
    if not m:
        return None
    return _NAME_STOP.sub("", squash(m.group(0))).rstrip(",;.( ")


_NAME_WORD = r"[A-ZĄČĘĖĮŠŲŪŽ][a-ząčęėįšųūž]+(?:-[A-ZĄČĘĖĮŠŲŪŽ][a-ząčęėįšųūž]+)?"
_TRAILING_NAME = re.compile(rf"({_NAME_WORD}\s+{_NAME_WORD})\s*$")


def split_position_name(text: str) -> tuple[str | None, str | None]:
    """"vyriausioji inspektorė Eglė Kairienė" → ("vyriausioji inspektorė", "Eglė Kairienė").

    Also "Darius Kuliesius, vadybininkas" (name first, position after a comma).  The name is the trailing
    run of two capitalised words (given name and surname); what precedes it is the position.
    """
    text = squash(text).strip(" ,;")
    if not text:
        return None, None
    if "," in text:
        first, rest = (part.strip() for part in text.split(",", 1))
        if re.fullmatch(rf"{_NAME_WORD}\s+{_NAME_WORD}", first):
            return (rest or None), first
    m = _TRAILING_NAME.search(text)
    if not m:
        return text, None
    position = text[:m.start()].strip(" ,;") or None
    return position, m.group(1)
