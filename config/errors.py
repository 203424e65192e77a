"""The one root of every error the system raises on purpose, and the few kinds users see.

The `itpc` command turns any ``ItpcError`` into one line (``itpc: <message>``) and exit status 1, so an error
from a new adapter is never a traceback. Each layer subclasses the kind that fits and keeps its own name.
"""
from __future__ import annotations


class ItpcError(Exception):
    """Something the user can act on; the message names the file, key or request and what to do."""


class ConfigError(ItpcError):
    """A missing or invalid configuration value, file or optional component; the message names the key."""


class LedgerError(ItpcError):
    """The ledger, its archive or a view of it cannot be read or written as asked."""


class MailboxError(ItpcError):
    """The mailbox cannot be reached, read or acknowledged."""


class TransportError(ItpcError):
    """A letter cannot be composed or handed to the mail server."""


class DocumentError(ItpcError):
    """A document (message, attachment, export, template, Sutikimas) cannot be read or made."""


class RequestError(ItpcError):
    """An action on a request or outage that the rules or its state do not allow (officer commands)."""
