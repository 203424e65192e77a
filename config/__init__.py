"""Shipped configuration (itpc.toml, customs offices, reason lists, templates) and the loader for it."""
from config.errors import ConfigError, DocumentError, ItpcError, LedgerError, MailboxError, RequestError, TransportError  # noqa: F401
from config.sections import (  # noqa: F401
                           FaxSettings,
                           InstitutionsSettings,
                           ItpcSettings,
                           LedgerSettings,
                           MailboxSettings,
                           OfficesSettings,
                           OutagesSettings,
                           OutboxSettings,
                           RulesSettings,
                           TemplatesSettings,
)
from config.settings import Settings, load_settings  # noqa: F401
