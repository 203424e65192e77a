"""Shipped configuration (itpc.toml, customs offices, reason lists, templates) and the loader for it."""
from config.errors import (ConfigError, DocumentError, ItpcError, LedgerError, MailboxError, RequestError,  # noqa: F401
                           TransportError)
from config.sections import (FaxSettings, InstitutionsSettings, ItpcSettings, LedgerSettings,  # noqa: F401
                             MailboxSettings, OfficersSettings, OfficesSettings, OutagesSettings, OutboxSettings,
                             RulesSettings, TemplatesSettings)
from config.settings import Settings, load_settings  # noqa: F401
