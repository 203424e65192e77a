"""One raw e-mail message read into a ``Letter``: who wrote it, its new text, the quoted history cut off,
its attachments (type sniffed from the bytes), and every problem met on the way.

Header fields come from mail-parser (it decodes RFC 2047 names and addresses and copes with broken
address lists); the body is walked with the standard library so that we choose the charset fallbacks
(windows-1257 is what Lithuanian Outlook sends when it lies about its charset), refuse to decode parts over
the size caps, and never raise on damaged MIME: a problem is recorded instead. Only bytes that are not an
e-mail message at all raise ``MessageError``.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import message_from_bytes
from email.header import Header, decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from functools import lru_cache

from config.errors import DocumentError
from ingest.autogen import auto_generated_reason
from ingest.htmltext import html_to_text

# mail-parser logs every part it does not render ("content 'mixed' not handled") at WARNING; what matters
# about a message is recorded in its Letter's problems instead.
logging.getLogger("mailparser").setLevel(logging.ERROR)

FALLBACK_CHARSETS = ("utf-8", "windows-1257")
MAX_PARTS = 500          # a message with more MIME parts than this is read only this far
MAX_DEPTH = 30           # multipart nesting deeper than this is not followed
HEAD_BYTES = 1 << 20     # the most of a message read for its header block
# Header fields one of which any real message has; bytes without any are not a message.
MESSAGE_HEADERS = ("from", "to", "subject", "date", "message-id", "received", "content-type", "mime-version",
                   "return-path", "sender", "reply-to")
# Charset labels mail clients use that Python's codec registry does not know under that name.
CHARSET_ALIASES = {"win-1257": "windows-1257", "cp-1257": "windows-1257", "x-cp1257": "windows-1257",
                   "baltic": "iso-8859-13", "latin-7": "iso-8859-13", "latin7": "iso-8859-13",
                   "unicode-1-1-utf-8": "utf-8", "utf8": "utf-8", "x-unknown": "", "unknown-8bit": "",
                   "us-ascii": "ascii", "ansi_x3.4-1968": "ascii", "default": ""}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class MessageError(DocumentError, ValueError):
    """The bytes are not an e-mail message at all (nothing to register as mail)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    declared_type: str
    content_type: str  # sniffed from the bytes where they say clearly what they are
    data: bytes = field(repr=False)
    size: int


@dataclass(frozen=True)
class Letter:
    message_id: str
    sender: str
    sender_name: str
    reply_to: list[str]
    to: list[str]
    cc: list[str]
    subject: str
    date: datetime | None
    in_reply_to: str | None
    references: list[str]
    fax_sender: str | None
    text: str
    history: str
    attachments: list[Attachment]
    problems: list[str]
    auto_generated: str | None


# --- entry point --------------------------------------------------------------------------------------------

def read_message(raw: bytes, *, max_attachment_bytes: int, max_message_bytes: int, own_address: str) -> Letter:
    """Read one raw message. Raises ``MessageError`` only for bytes that are not a message at all."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise MessageError(f"expected the message's bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise MessageError("empty input: not an e-mail message")
    problems: list[str] = []

    if len(raw) > max_message_bytes:
        return read_headers(raw, len(raw), max_message_bytes=max_message_bytes, own_address=own_address)

    parsed = None
    try:
        import mailparser
        parsed = mailparser.parse_from_bytes(raw)
        msg = parsed.message
    except Exception as exc:  # mail-parser gave up (e.g. absurd nesting): the stdlib still reads headers
        problems.append(f"MIME structure could not be parsed ({type(exc).__name__}); headers only")
        try:
            msg = message_from_bytes(raw, policy=compat32)
        except Exception:
            msg = BytesParser(policy=compat32).parsebytes(_header_block(raw), headersonly=True)
    _require_headers(msg)

    body = _Body(max_attachment_bytes)
    try:
        body.walk(msg, depth=0, attached=False)
    except RecursionError:
        problems.append("MIME nesting too deep; the message was read only partly")
    problems.extend(body.problems)
    problems.extend(_defects(msg, body.parts_seen))
    text, history = body.text()
    return _letter(msg, parsed, problems, own_address, text=text, history=history, attachments=body.attachments)


def read_headers(head: bytes, size: int, *, max_message_bytes: int, own_address: str) -> Letter:
    """A message over the cap, read from its first ``HEAD_BYTES`` (``head``; more is ignored): only the header
    block, enough to know who wrote, what about, and whether it is a bounce. ``size`` is the whole message's."""
    if not head.strip():
        raise MessageError("empty input: not an e-mail message")
    problems = [f"message of {size} bytes exceeds the {max_message_bytes}-byte cap; "
                "its body and attachments were not read"]
    msg = BytesParser(policy=compat32).parsebytes(_header_block(head), headersonly=True)
    _require_headers(msg)
    return _letter(msg, None, problems, own_address, text="", history="", attachments=[])


def _require_headers(msg: Message) -> None:
    names = {k.lower() for k in msg.keys()}
    if not names & set(MESSAGE_HEADERS):
        raise MessageError("no e-mail header fields (From, To, Subject, Date, ...): not an e-mail message")


def _header_block(raw: bytes, limit: int = HEAD_BYTES) -> bytes:
    head = raw[:limit]
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = head.find(sep)
        if at >= 0:
            return head[:at + len(sep)]
    return head


# --- the header fields ---------------------------------------------------------------------------------------

def _letter(msg: Message, parsed, problems: list[str], own_address: str, *, text: str, history: str,
            attachments: list[Attachment]) -> Letter:
    # One pass over the header fields: a Message's get() walks them all for each name asked.
    first: dict[str, object] = {}
    for name, value in msg.items():
        first.setdefault(name.lower(), value)

    def header(name: str) -> str:
        return header_text(first.get(name.lower()))

    def addresses(name: str) -> list[tuple[str, str]]:
        pairs = None
        if parsed is not None:
            try:  # mail-parser decodes display names and copes with broken address lists
                pairs = getattr(parsed, _MAILPARSER_ADDRESS[name])
            except Exception:
                pairs = None
        if not isinstance(pairs, list):
            pairs = getaddresses([header_text(v) for v in msg.get_all(name, [])])
        return [(header_text(n), a.strip().lower()) for n, a in pairs if a and "@" in a]

    subject = header("Subject")
    from_pairs = addresses("From")
    if not from_pairs:
        name, addr = parseaddr(header("From"))
        from_pairs = [(name, addr.lower())] if addr else []
    sender_name, sender = from_pairs[0] if from_pairs else ("", "")
    if not sender:
        problems.append("no sender address in From")

    date = None
    date_text = header("Date")
    if date_text:
        try:
            date = parsedate_to_datetime(date_text)
            if date.tzinfo is None:  # "-0000": the time is UTC, its zone unknown (RFC 5322 §3.3)
                date = date.replace(tzinfo=timezone.utc)
            date.astimezone(timezone.utc)  # raises for 31 Dec 9999 -1200: past what a datetime can hold
        except (TypeError, ValueError, IndexError, OverflowError):
            date = None
            problems.append(f"unreadable Date header {date_text!r}")

    references = _MESSAGE_ID.findall(header("References"))
    in_reply = _MESSAGE_ID.findall(header("In-Reply-To"))
    message_id = " ".join(header("Message-ID").split())
    reason = auto_generated_reason(first, own_address)
    return Letter(
        message_id=message_id,
        sender=sender,
        sender_name=sender_name,
        reply_to=[a for _, a in addresses("Reply-To")],
        to=[a for _, a in addresses("To")],
        cc=[a for _, a in addresses("Cc")],
        subject=subject,
        date=date,
        in_reply_to=in_reply[0] if in_reply else (header("In-Reply-To") or None),
        references=references,
        fax_sender=fax_number(header("X-Fax-Sender"), subject),
        text=text,
        history=history,
        attachments=attachments,
        problems=problems,
        auto_generated=reason,
    )


_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_MAILPARSER_ADDRESS = {"From": "from_", "To": "to", "Cc": "cc", "Reply-To": "reply_to"}

# What the standard library's MIME defects mean to someone reading the problem list.
_DEFECT_TEXT = {
    "StartBoundaryNotFoundDefect": "MIME boundary never found: the message is damaged or truncated",
    "CloseBoundaryNotFoundDefect": "MIME closing boundary missing: the message may be truncated",
    "NoBoundaryInMultipartDefect": "multipart message without a boundary: parts could not be separated",
    "MultipartInvariantViolationDefect": "multipart message without parts (damaged or truncated MIME)",
    "MissingHeaderBodySeparatorDefect": "no blank line between header and body",
    "FirstHeaderLineIsContinuationDefect": "the header block starts with a continuation line",
    "MisplacedEnvelopeHeaderDefect": "an mbox 'From ' line inside the header block",
    "InvalidBase64PaddingDefect": "damaged base64 (bad padding)",
    "InvalidBase64CharactersDefect": "damaged base64 (invalid characters)",
    "InvalidBase64LengthDefect": "damaged base64 (truncated)",
    "InvalidMultipartContentTransferEncodingDefect": "invalid transfer encoding on a multipart",
    "InvalidHeaderDefect": "an unreadable header field",
}


def _defects(msg: Message, parts: list[Message]) -> list[str]:
    """The MIME defects the parser noticed, once each, in words."""
    seen: list[str] = []
    for part in [msg, *parts]:
        for defect in getattr(part, "defects", []) or []:
            name = type(defect).__name__
            text = _DEFECT_TEXT.get(name, f"MIME defect: {name}")
            if name.startswith("InvalidBase64"):
                text = f"{text} in a {_content_type(part)} part"
            if text not in seen:
                seen.append(text)
    return seen


def header_text(value: object) -> str:
    """A header value as text: RFC 2047 words decoded, raw 8-bit bytes read as UTF-8 or windows-1257."""
    if value is None:
        return ""
    if isinstance(value, Header):  # compat32 wraps raw 8-bit header bytes as charset "unknown-8bit"
        pieces = []
        for data, charset in decode_header(value):
            if isinstance(data, str):
                pieces.append(data)
                continue
            label = CHARSET_ALIASES.get((charset or "").lower(), charset or "")
            pieces.append(decode_text(data, label or None)[0])
        return " ".join("".join(pieces).split())
    text = str(value)
    if "=?" in text:
        text = _encoded_words(text)
    text = _undo_surrogates(text)
    return " ".join(text.split())


# Subjects and sender names come back word for word (a trader's template, a reply's "RE: ..."): the decoding
# of the last thousand encoded header texts is kept.
@lru_cache(maxsize=1024)
def _encoded_words(text: str) -> str:
    """RFC 2047 encoded words decoded; the text as it was when they do not decode."""
    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text


_SURROGATE = re.compile("[\udc80-\udcff]")


def _undo_surrogates(text: str) -> str:
    """compat32 keeps undecodable 8-bit header bytes as surrogate escapes: read them as a person meant."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    for charset in FALLBACK_CHARSETS:
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


# --- fax numbers ---------------------------------------------------------------------------------------------

# A parenthesis only opens a number (an area code, "(8 41) 52 33 45"): "+370… (1 page)" ends at the number.
_FAX_SUBJECT = re.compile(r"\b(?:fax|faksas|faksu|faks\w*|telefax)\b\D{0,30}?(\+?\(?\d[\d \-./]*\)?[\d \-./]*\d)", re.I)


def fax_number(x_fax_sender: str, subject: str) -> str | None:
    """The sending fax number, E.164: from X-Fax-Sender, else from a fax gateway's subject."""
    if x_fax_sender:
        number = e164(x_fax_sender)
        if number:
            return number
    match = _FAX_SUBJECT.search(subject or "")
    return e164(match.group(1)) if match else None


def e164(text: str) -> str | None:
    """A phone or fax number in E.164 (``+37041523345``); Lithuanian national forms get +370."""
    s = re.sub(r"[\s\-().\/]", "", text or "")
    if s.startswith("00"):
        s = "+" + s[2:]
    if s.startswith("+"):
        digits = s[1:]
        return "+" + digits if digits.isdigit() and 8 <= len(digits) <= 15 else None
    if not s.isdigit():
        return None
    if s.startswith("370") and len(s) == 11:
        return "+" + s
    if s.startswith("8") and len(s) == 9:  # trunk prefix 8 + 8-digit national number
        return "+370" + s[1:]
    if len(s) == 8 and not s.startswith("0"):
        return "+370" + s
    return None


# --- the body ------------------------------------------------------------------------------------------------

class _Body:
    """Walks the MIME tree once, collecting text parts and attachments within the caps."""

    def __init__(self, max_attachment_bytes: int) -> None:
        self.max_attachment_bytes = max_attachment_bytes
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attached_text: list[str] = []  # text of attached (forwarded) messages: history, not new text
        self.attachments: list[Attachment] = []
        self.problems: list[str] = []
        self.parts_seen: list[Message] = []

    def walk(self, part: Message, *, depth: int, attached: bool) -> None:
        if len(self.parts_seen) >= MAX_PARTS:
            if len(self.parts_seen) == MAX_PARTS:
                self.problems.append(f"more than {MAX_PARTS} MIME parts; the rest were not read")
                self.parts_seen.append(part)
            return
        self.parts_seen.append(part)
        ctype = _content_type(part)
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                self.problems.append(f"MIME nesting deeper than {MAX_DEPTH} levels was not followed")
                return
            children = part.get_payload()
            inner_attached = attached or ctype == "message/rfc822"
            for child in children:
                if isinstance(child, Message):
                    self.walk(child, depth=depth + 1, attached=inner_attached)
            return
        if ctype == "message/rfc822":  # an attached message the parser did not open: read its bytes
            data = self._payload(part, "attached message")
            if data:
                try:
                    self.walk(message_from_bytes(data, policy=compat32), depth=depth + 1, attached=True)
                except Exception:
                    self.problems.append("an attached message could not be read")
            return

        filename = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        is_text = ctype in ("text/plain", "text/html")
        if is_text and not filename and disposition != "attachment":
            data = self._payload(part, f"{ctype} body part")
            if data is None:
                return
            text, problem = decode_text(data, _charset(part, data, ctype), what=f"{ctype} body part")
            if problem:
                self.problems.append(problem)
            if ctype == "text/html":
                text = html_to_text(text)
            if attached:
                self.attached_text.append(text)
            else:
                (self.html if ctype == "text/html" else self.plain).append(text)
            return
        if ctype.startswith("multipart/"):
            # boundary never found (damaged or truncated): the undivided body is all there is to read
            payload = part.get_payload()
            if isinstance(payload, str) and payload.strip() and not attached:
                data = payload.encode("utf-8", "surrogateescape")
                self.plain.append(decode_text(data, part.get_content_charset(), what="damaged body")[0])
            return
        self._attachment(part, ctype, filename)

    def _attachment(self, part: Message, declared: str, filename: str) -> None:
        name = filename or "(unnamed)"
        estimate = _encoded_size(part)
        if estimate > self.max_attachment_bytes:
            self.problems.append(f"attachment {name!r} (about {estimate} bytes) exceeds the "
                                 f"{self.max_attachment_bytes}-byte cap; skipped")
            return
        data = self._payload(part, f"attachment {name!r}")
        if data is None:
            return
        if len(data) > self.max_attachment_bytes:
            self.problems.append(f"attachment {name!r} ({len(data)} bytes) exceeds the "
                                 f"{self.max_attachment_bytes}-byte cap; skipped")
            return
        if not data:
            self.problems.append(f"attachment {name!r} is empty")
            return
        self.attachments.append(Attachment(filename=filename, declared_type=declared,
                                           content_type=sniff_type(data, declared), data=data, size=len(data)))

    def _payload(self, part: Message, what: str) -> bytes | None:
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:
            self.problems.append(f"{what} could not be decoded ({type(exc).__name__})")
            return None
        if data is None:
            payload = part.get_payload()
            data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        return data

    def text(self) -> tuple[str, str]:
        plain = "\n".join(t for t in self.plain if t.strip())
        body = plain if plain.strip() else "\n".join(t for t in self.html if t.strip())
        new, history = split_history(body)
        extra = "\n\n".join(t.strip() for t in self.attached_text if t.strip())
        if extra:
            history = f"{history}\n\n{extra}".strip() if history else extra
        return new, history


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"


def _encoded_size(part: Message) -> int:
    payload = part.get_payload()
    if not isinstance(payload, str):
        return 0
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte == "base64":
        chars = len(payload) - sum(payload.count(c) for c in "\r\n\t ")
        return chars * 3 // 4 - min(2, payload.rstrip().count("=", -4))
    return len(payload)


def _filename(part: Message) -> str:
    """The attachment's name: RFC 2231 (``filename*=``) and RFC 2047 (``=?utf-8?...?=``) decoded."""
    try:
        if not any("name" in str(part.get(h, "")).lower() for h in ("content-disposition", "content-type")):
            return ""  # no filename= or name= parameter: spare parsing both headers' parameters four times
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 triple the stdlib did not collapse
        try:
            name = bytes(name[2], "latin-1").decode(name[0] or "utf-8", "replace")
        except Exception:
            name = str(name[2])
    name = header_text(name)
    return name.replace("/", "_").replace("\\", "_").strip()


def _charset(part: Message, data: bytes, ctype: str) -> str | None:
    charset = part.get_content_charset()
    if not charset and ctype == "text/html":
        meta = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", data[:4096], re.I)
        if meta:
            charset = meta.group(1).decode("ascii", "replace")
    return charset


def decode_text(data: bytes, declared: str | None, *, what: str = "text") -> tuple[str, str | None]:
    """Bytes to text: the declared charset, else UTF-8, else windows-1257; the problem, if any, says which."""
    label = (declared or "").strip().strip("\"'").lower()
    label = CHARSET_ALIASES.get(label, label)
    if label:
        try:
            return data.decode(label), None
        except LookupError:
            reason = f"unknown charset {declared!r}"
        except UnicodeDecodeError:
            reason = f"bytes not valid in its declared charset {declared!r}"
    else:
        try:
            return data.decode("ascii"), None
        except UnicodeDecodeError:
            reason = "8-bit bytes without a declared charset"
    for charset in FALLBACK_CHARSETS:
        try:
            text = data.decode(charset)
        except UnicodeDecodeError:
            continue
        if not label and charset == "utf-8":
            return text, None  # undeclared UTF-8 is what everyone sends today: nothing lost
        return text, f"{what}: {reason}; read as {charset} (possibly lossy)"
    return (data.decode("windows-1257", "replace"),
            f"{what}: {reason}; read as windows-1257 with undecodable bytes replaced (lossy)")


# --- attachment types ---------------------------------------------------------------------------------------

_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
                (b"GIF89a", "image/gif"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"))
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_type(data: bytes, declared: str) -> str:
    """What the bytes are: PDF, DOCX (a zip holding word/document.xml), an image, else what was declared."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except Exception:
            return "application/zip"
        return DOCX_TYPE if "word/document.xml" in names else "application/zip"
    for magic, ctype in _IMAGE_MAGIC:
        if data.startswith(magic):
            return ctype
    if data.startswith(OLE_MAGIC):
        return "application/x-ole-storage"  # legacy .doc/.xls, or an encrypted Office file
    return (declared or "application/octet-stream").lower()


# --- reply chains --------------------------------------------------------------------------------------------

_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}|_{2,}|={2,})\s*(?:original message|originalus (?:pranešimas|laiškas)|"
    r"pradinis (?:pranešimas|laiškas)|forwarded message|persiųstas (?:pranešimas|laiškas)|"
    r"persiunčiamas (?:pranešimas|laiškas))\s*(?:-{2,}|_{2,}|={2,})?\s*$", re.I)
_BEGIN_FORWARD = re.compile(r"^\s*(?:begin forwarded message|persiunčiamas laiškas)\s*:\s*$", re.I)
_FROM_LINE = re.compile(r"^\s*\**\s*(?:from|nuo|siuntėjas|von|de|от)\s*\**\s*:\s*\**\s*(\S.*)$", re.I)
_HEADER_LINE = re.compile(r"^\s*\**\s*(sent|date|to|cc|subject|išsiųsta|data|kam|kopija|tema|gavėjas|"
                          r"gesendet|an|betreff)\s*\**\s*:", re.I)
_STRONG_HEADERS = {"sent", "išsiųsta", "gesendet", "subject", "tema", "betreff"}
_WROTE = re.compile(r"(?:wrote|rašė|написал[а]?|schrieb)\s*:\s*$", re.I)


def split_history(text: str) -> tuple[str, str]:
    """Cut a message's new text from the reply chain or forwarded message under it.

    Everything from the first reply/forward header (``-----Original Message-----``, an Outlook
    ``Nuo: … Išsiųsta: …`` block, ``… rašė:``/``… wrote:``) down is history; ``>``-quoted lines above it
    are history too, so a reply written under a quote keeps its own lines.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    new_lines, quoted = [], []
    for line in lines[:cut]:
        (quoted if line.lstrip().startswith(">") else new_lines).append(line)
    history_lines = quoted + ([""] if quoted and cut < len(lines) else []) + lines[cut:]
    return _trim("\n".join(new_lines)), _trim("\n".join(history_lines))


def _history_start(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line):
            return i
        if ":" not in line:
            continue  # every other opening has a colon ("Nuo: …"), most end in one ("… rašė:")
        ends_in_colon = line.rstrip().endswith(":")
        if ends_in_colon and _BEGIN_FORWARD.match(line):
            return i
        match = _FROM_LINE.match(line)
        if match and not match.group(1)[0].isdigit():  # "Nuo: 2026-11-26 07:00" is a period, not a header
            following = [_HEADER_LINE.match(nxt) for nxt in lines[i + 1:i + 5]]
            names = {m.group(1).lower() for m in following if m}
            # "Nuo: UAB X" may be a request's own label: without an address it takes a Sent/Subject line
            if names and ("@" in match.group(1) or names & _STRONG_HEADERS):
                return i
        if not ends_in_colon:
            continue
        if _WROTE.search(line) and (re.search(r"[\d@]", line) or line.lstrip().lower().startswith("on ")):
            # Gmail may wrap "On <date>, <name>\nwrote:" over two lines
            if i > 0 and re.match(r"^\s*(?:on|\d)", lines[i - 1], re.I) and not re.search(r"[\d@]", line):
                return i - 1
            return i
        if line.strip().lower() in ("wrote:", "rašė:") and i > 0 and re.search(r"[\d@]", lines[i - 1]):
            return i - 1
    return len(lines)


def _trim(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)
