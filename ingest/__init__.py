"""Mail in: mailboxes (IMAP, Maildir), MIME, documents (PDF text, OCR, DOCX) and the form parsers.

From raw bytes to what a message asks (``parse``); it never writes the ledger (``itpc.intake`` does) and never
imports ``responders``.
"""
