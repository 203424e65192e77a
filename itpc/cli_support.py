"""What every `itpc` command module shares: the one-line error and the opened application.

Kept apart from ``itpc.cli``, which loads the command modules: they never import it.
"""
from __future__ import annotations

from datetime import datetime

import click

from itpc.app import App
from ledger.clock import parse_instant

pass_app = click.make_pass_decorator(App)


class Failure(click.ClickException):
    """A one-line error for the user; exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"itpc: {self.format_message()}", err=True)


def opened(app: App) -> App:
    """The app with its ledger opened, verified and folded, for a command that acts on it: a damaged ledger,
    or one an entry of which no longer matches its hash, is a one-line error before anything is done."""
    app.writable_ledger()
    app.state
    return app


def read(app: App) -> App:
    """The app with its ledger opened and folded, for a command that only shows it: a ledger that does not
    verify is warned about on stderr (``App.ledger``), and shown."""
    app.state
    return app


def instant(option: str, text: str) -> datetime:
    """An option's ISO-8601 date or instant (Vilnius time when it names no offset); a one-line error otherwise."""
    try:
        return parse_instant(text)
    except ValueError:
        raise Failure(f"{option}: not an ISO-8601 date or instant: {text!r}") from None
