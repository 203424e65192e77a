"""Outgoing mail as RFC 5322 bytes: UTF-8 text, attachments, threading and RFC 3834 headers.

Deterministic: the same arguments always give the same bytes (the date and Message-ID are parameters and the
MIME boundary is a hash of the content), so a replayed mailbox produces byte-identical outgoing mail.

Speed: building a letter through ``email.message`` costs ≈3 ms (header objects, the generator, a Python loop
over the attachment), more than the rest of the mail line together. The usual letter (plain addresses, short
ASCII headers, token filenames) is therefore written directly (``_direct``), byte for byte what the email
package writes (a property test holds the two together); anything else goes through the email package.

Automatic mail (``automatic=True``) carries, per RFC 3834, ``Auto-Submitted: auto-replied`` when it answers a
message (``in_reply_to`` given) and ``auto-generated`` otherwise (notices to offices are not replies); plus
``X-Auto-Response-Suppress: All`` (Exchange: no out-of-office answers) and ``X-Loop: <sender address>`` so a
loop through our own mailbox is recognisable. No ``Precedence:`` header: RFC 3834 §3.1.8 advises against it.
"""
from __future__ import annotations

import binascii
import hashlib
import re
from datetime import datetime
from email import base64mime, quoprimime
from email.charset import RFC2047_CHROME_LEN, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses
from functools import lru_cache, partial
from typing import Iterator, Sequence

from config.errors import TransportError

# CR and LF, plus everything else str.splitlines() breaks on (the email package refuses those too, and some
# clients render them as line ends), plus NUL.
FORBIDDEN = ("\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00")
# What ``_direct`` writes itself: the email package writes these unchanged (no quoting, no encoded words).
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PLAIN_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?: [A-Za-z0-9._-]+)*")
PLAIN_MIME_PART = re.compile(r"[a-z0-9][a-z0-9.+-]*")
DIRECT_LINE = 76  # below the policy's 78, where folding starts: a longer header line goes the long way


class ComposeError(TransportError, ValueError):
    """An outgoing message cannot be built from these arguments."""


class HeaderInjection(ComposeError):
    """A header value contains a line break (or NUL): it could add headers or recipients."""


def compose(*, sender: str, to: Sequence[str], subject: str, body: str, message_id: str,
            in_reply_to: str | None = None, references: Sequence[str] = (), automatic: bool = True,
            attachments: Sequence[tuple[str, str, bytes]] = (), date: datetime) -> bytes:
    """One message as bytes with CRLF line ends; attachments are (filename, mime type, data)."""
    if isinstance(to, str):
        to = [to]  # a lone string would otherwise be read letter by letter
    _clean("From", sender)
    for address in to:
        _clean("To", address)
    _clean("Subject", subject)
    _clean("Message-ID", message_id)
    if in_reply_to is not None:
        _clean("In-Reply-To", in_reply_to)
    for ref in references:
        _clean("References", ref)
    for filename, mime_type, _ in attachments:
        _clean("attachment filename", filename)
        _clean("attachment type", mime_type)

    sender_address = _address("From", sender)
    recipients = [_address("To", a) for a in to]
    if not recipients:
        raise ComposeError("To: at least one recipient is required")
    if not isinstance(date, datetime) or date.tzinfo is None or date.utcoffset() is None:
        raise ComposeError(f"Date: a timezone-aware datetime is required, got {date!r}")
    if not isinstance(body, str):
        raise ComposeError("body: text is required")
    for name, text in (("Subject", subject), ("body", body)):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ComposeError(f"{name}: not encodable as UTF-8 (lone surrogate)") from None

    for filename, mime_type, _ in attachments:
        maintype, slash, subtype = mime_type.partition("/")
        if not slash or not maintype or not subtype:
            raise ComposeError(f"attachment {filename!r}: MIME type must be like application/pdf, got {mime_type!r}")
    subject_field = Header(subject, UTF8, header_name="Subject").encode(linesep="\r\n")
    refs = [_msg_id(r) for r in references if r.strip()]
    if in_reply_to and _msg_id(in_reply_to) not in refs:
        refs.append(_msg_id(in_reply_to))  # RFC 5322 §3.6.4: References ends with the parent
    fields = _fields(sender_address, date, message_id, in_reply_to, refs, automatic)
    boundary = _boundary(message_id, subject, body, attachments) if attachments else ""
    direct = _direct(sender, to, subject_field, fields, body, attachments, boundary)
    if direct is not None:
        return direct
    return _through_email_package(sender, to, recipients, subject_field, fields, body, attachments, boundary)


class _Utf8(Charset):
    """UTF-8 for encoded words, cut into lines exactly as ``Charset`` cuts them, but measuring each character
    once: the stdlib encodes and measures the whole line again after each character (quadratic, ≈0.3 ms for a
    subject, the costliest part of a letter after the rest was written directly)."""

    def header_encode_lines(self, string: str, maxlengths: Iterator[int]) -> list[str | None]:
        codec = self.output_codec or "us-ascii"
        encoder_module = self._get_encoder(string.encode(codec))
        encoder = partial(encoder_module.header_encode, charset=codec)
        extra = len(self.get_output_charset()) + RFC2047_CHROME_LEN
        base64 = encoder_module is base64mime
        lines: list[str | None] = []
        octets, q_length = b"", 0  # the line so far: its bytes, and their length as Q-encoded
        maxlen = next(maxlengths) - extra
        for character in string:
            encoded, q_more = _octets(character, codec)
            length = -(-(len(octets) + len(encoded)) // 3) * 4 if base64 else q_length + q_more
            if length > maxlen:  # this character does not fit: the line ends before it
                lines.append(encoder(octets) if lines or octets else None)  # None: nothing fits on the first line
                octets, q_length = encoded, q_more
                maxlen = next(maxlengths) - extra
            else:
                octets, q_length = octets + encoded, q_length + q_more
        lines.append(encoder(octets))
        return lines


@lru_cache(maxsize=4096)
def _octets(character: str, codec: str) -> tuple[bytes, int]:
    """``character``'s bytes in ``codec`` and their length Q-encoded (a subject's letters recur in every one)."""
    encoded = character.encode(codec)
    return encoded, quoprimime.header_length(encoded)


UTF8 = _Utf8("utf-8")


def _fields(sender_address: str, date: datetime, message_id: str, in_reply_to: str | None,
            refs: list[str], automatic: bool) -> list[tuple[str, str]]:
    """The header fields after From, To and Subject, in order."""
    fields = [("Date", format_datetime(date)), ("Message-ID", _msg_id(message_id))]
    if in_reply_to:
        fields.append(("In-Reply-To", _msg_id(in_reply_to)))
    if refs:
        fields.append(("References", " ".join(refs)))
    if automatic:
        fields += [("Auto-Submitted", "auto-replied" if in_reply_to else "auto-generated"),
                   ("X-Auto-Response-Suppress", "All"), ("X-Loop", sender_address)]
    return fields


def _direct(sender: str, to: Sequence[str], subject_field: str, fields: list[tuple[str, str]], body: str,
            attachments: Sequence[tuple[str, str, bytes]], boundary: str) -> bytes | None:
    """The message as the email package would write it, or None when it is not the usual plain shape."""
    if not all(PLAIN_ADDRESS.fullmatch(a) for a in (sender, *to)):
        return None  # a display name, IDNA or a quoted local part: the email package's own rendering
    lines = [("From", sender), ("To", ", ".join(to)), *fields]
    if any(len(name) + 2 + len(value) > DIRECT_LINE or not value.isascii() for name, value in lines):
        return None  # folding
    head = [f"{name}: {value}\r\n" for name, value in lines]
    head.insert(2, f"Subject: {subject_field}\r\n")
    text_head = 'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n'
    text = "\r\n" + _crlf(quoprimime.body_encode(_normal_body(body), SMTP.max_line_length))
    if not attachments:  # set_content adds MIME-Version after the part's own fields
        return "".join([*head, text_head, "MIME-Version: 1.0\r\n", text]).encode("ascii")
    parts = [f"--{boundary}\r\n{text_head}{text}"]
    for filename, mime_type, data in attachments:
        maintype, _, subtype = mime_type.partition("/")
        disposition = f'Content-Disposition: attachment; filename="{filename}"'
        if not (data and PLAIN_TOKEN.fullmatch(filename) and len(disposition) <= DIRECT_LINE
                and maintype in ("application", "image") and PLAIN_MIME_PART.fullmatch(subtype)):
            return None
        parts.append(f"\r\n--{boundary}\r\nContent-Type: {mime_type}\r\nContent-Transfer-Encoding: base64\r\n"
                     f"{disposition}\r\n\r\n" + _base64_lines(bytes(data)))
    return "".join([*head, "MIME-Version: 1.0\r\n", f'Content-Type: multipart/mixed;\r\n boundary="{boundary}"\r\n\r\n',
                    *parts, f"\r\n--{boundary}--\r\n"]).encode("ascii")


def _base64_lines(data: bytes) -> str:
    """``data`` in base64, 76 characters (57 bytes) a line, each ended by CRLF, as ``contentmanager`` writes it
    (encoded whole and then cut: the stdlib's loop over 57-byte slices costs more than the rest of a letter)."""
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    if not encoded:
        return ""
    return "\r\n".join([encoded[i:i + 76] for i in range(0, len(encoded), 76)]) + "\r\n"


def _normal_body(body: str) -> str:
    """The body's UTF-8 bytes as latin-1 text with LF line ends and a final one (``contentmanager._encode_text``)."""
    return (b"\n".join(_crlf_free(body).encode("utf-8").splitlines()) + b"\n").decode("latin-1")


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _through_email_package(sender: str, to: Sequence[str], recipients: list[str], subject_field: str,
                           fields: list[tuple[str, str]], body: str, attachments: Sequence[tuple[str, str, bytes]],
                           boundary: str) -> bytes:
    """The message built with ``email.message`` (display names, IDNA, folding, unusual filenames)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _named(sender, _address("From", sender))
    msg["To"] = [_named(original, address) for original, address in zip(to, recipients)]
    # Python's folder mangles long non-ASCII subjects (drops spaces between encoded words, splits a
    # character's bytes), so the subject is encoded here, RFC 2047, and written out unrefolded.
    msg.set_raw("Subject", subject_field)
    for name, value in fields:
        msg[name] = value
    # Quoted-printable keeps Lithuanian text readable in the raw message and never produces "=_", the prefix
    # of our boundary, so the boundary cannot occur in any part.
    msg.set_content(_crlf_free(body), subtype="plain", charset="utf-8", cte="quoted-printable")
    for filename, mime_type, data in attachments:
        maintype, _, subtype = mime_type.partition("/")
        msg.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=filename)
    if msg.is_multipart():
        for part in msg.iter_parts():
            del part["MIME-Version"]  # the email package repeats it in each part; RFC 2045 wants it once
        msg.set_boundary(boundary)
    return msg.as_bytes(policy=SMTP.clone(refold_source="none"))


def _clean(header: str, value: str) -> None:
    if not isinstance(value, str):
        raise ComposeError(f"{header}: text is required, got {type(value).__name__}")
    for ch in FORBIDDEN:
        if ch in value:
            raise HeaderInjection(f"{header}: line break or NUL in {value!r}")


def _address(header: str, value: str) -> str:
    """The bare address of ``value`` ("Name <a@b>" or "a@b"); a clear error when there is none."""
    if PLAIN_ADDRESS.fullmatch(value):
        return value  # already bare, ASCII and valid: what the parse below would give, without its cost
    return _parsed_address(header, value)


def _parsed_address(header: str, value: str) -> str:
    pairs = getaddresses([value])
    if len(pairs) != 1 or "@" not in pairs[0][1]:
        raise ComposeError(f"{header}: one e-mail address expected, got {value!r}")
    try:
        address = ascii_domain(pairs[0][1])
        Address(addr_spec=address)
    except (ValueError, IndexError) as exc:  # UnicodeError is a ValueError
        raise ComposeError(f"{header}: invalid address {pairs[0][1]!r} ({exc})") from None
    return address


def _named(value: str, address: str) -> Address:
    """``value``'s display name with ``address`` (its domain already in IDNA)."""
    return Address(display_name=getaddresses([value])[0][0], addr_spec=address)


def ascii_domain(address: str) -> str:
    """``address`` with its domain in IDNA (``rasa@bkl-ž.lt`` → ``rasa@xn--bkl--…``), as headers and SMTP
    carry it; a ValueError when the domain cannot be written so."""
    local, at, domain = address.rpartition("@")
    if not at or not domain:
        raise ValueError("no domain")
    if domain.isascii():
        return address
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def is_message_id(value: object) -> bool:
    """``value`` can stand in a Message-ID, In-Reply-To or References header (``<local@domain>``)."""
    if not isinstance(value, str):
        return False
    try:
        _clean("Message-ID", value)
        _msg_id(value)
    except ComposeError:
        return False
    return True


def _msg_id(value: str) -> str:
    value = value.strip()
    bare = value[1:-1] if value.startswith("<") and value.endswith(">") else value
    if "@" not in bare or any(c in bare for c in " <>"):
        raise ComposeError(f"Message-ID: expected <local@domain>, got {value!r}")
    return f"<{bare}>"


def _crlf_free(body: str) -> str:
    """Bare CR in a body would be read as a line end by some servers; normalise every line end to LF."""
    return body.replace("\r\n", "\n").replace("\r", "\n")


def _boundary(message_id: str, subject: str, body: str, attachments: Sequence[tuple[str, str, bytes]]) -> str:
    digest = hashlib.sha256()
    for part in (message_id, subject, body):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for filename, mime_type, data in attachments:
        digest.update(filename.encode("utf-8", "surrogatepass") + b"\0" + mime_type.encode() + b"\0")
        digest.update(hashlib.sha256(bytes(data)).digest())
    return "=_itpc_" + digest.hexdigest()[:40]

