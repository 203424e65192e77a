"""Open the mailbox a URL names: a Maildir folder or an IMAP folder, behind the `MailboxSource` interface."""
from __future__ import annotations

import os

from config.errors import MailboxError
from config.sections import MailboxSettings
from ingest.imap import ImapSource
from ingest.maildir import MaildirSource
from ingest.sources import MailboxSource, imap_endpoint, maildir_path


def open_source(url: str, mailbox: MailboxSettings | None = None) -> MailboxSource:
    """A source for ``url``: "maildir:///abs/path", "imaps://user@host[:port]/INBOX", "imap+starttls://...",
    or "imap://..." (no TLS: loopback only, for tests). IMAP sources log in here, so a wrong password or an
    unreachable host is reported at once as a MailboxError. ``mailbox`` gives the IMAP folder for registered
    messages, the batch, the timeout, our own mail servers and the message cap; without it (small scripts,
    tests) the shipped values apply."""
    if not isinstance(url, str) or "://" not in url:
        raise MailboxError(f"mailbox URL {url!r}: expected maildir:///path or imaps://user@host/INBOX")
    scheme = url.split("://", 1)[0].lower()
    mailbox = mailbox or MailboxSettings()
    if scheme == "maildir":
        return MaildirSource(maildir_path(url), trusted_received=mailbox.trusted_received,
                             max_message_bytes=mailbox.max_message_bytes)
    if scheme in ("imaps", "imap+starttls", "imap"):
        endpoint = imap_endpoint(url, os.environ)
        return ImapSource(endpoint, processed_folder=mailbox.processed_folder, batch=mailbox.batch,
                          timeout=mailbox.timeout, trusted_received=mailbox.trusted_received,
                          max_message_bytes=mailbox.max_message_bytes)
    raise MailboxError(f"mailbox URL {url!r}: unknown scheme {scheme!r} (maildir, imaps, imap+starttls)")
