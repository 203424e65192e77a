"""`itpc run`: the service. The mailbox is polled as `itpc poll` polls it, and the scheduled work runs every
minute beside it."""
from __future__ import annotations

import click

from itpc.app import App
from itpc.cli_support import opened, pass_app
from itpc.officers import duty_officer
from itpc.service import Runner
from itpc.tick import run_tick


@click.command()
@pass_app
def run(app: App) -> None:
    """Run as a service: poll the mailbox (IMAP IDLE where the server has it), answer, send, and every
    minute do the scheduled work. SIGTERM finishes the current message and exits 0.

    \b
    Example:
      itpc --config /etc/itpc/itpc.toml run
    """
    duty_officer(app.settings)  # who signs every automatic letter: a login not in the directory stops the start
    Runner(opened(app)).run_forever(tick=run_tick)
