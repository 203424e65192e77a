"""`itpc reply|take|close`: officers answer a case from the terminal, claim it, and close it.

The work is done by ``itpc.casework``; this module reads what the officer typed (an option, a file, or the
editor) and prints one line of what was done. ``itpc.cli`` finds these commands by name (``COMMANDS``).
"""
from __future__ import annotations

import click

from itpc import casework
from itpc.app import App
from itpc.cli_support import Failure, opened, pass_app
from itpc.dryrun import rehearsal_report
from itpc.officers import acting_officer
from itpc.outbox import send_pending
from responders.transport import open_transport

# Lines the editor shows the officer; every line starting with "#" is left out of the letter.
EDITOR_HELP = """
# Write the answer to {number} above (in Lithuanian). The letter adds the greeting "Laba diena,"
# and your signature. Lines starting with '#' are left out; an empty text sends nothing.
#
# To:      {to}
# Subject: {subject}
#
# The last message of the case ({sender}, {received}):
{quoted}
"""


def _text_from_editor(app: App, number: str) -> str:
    request = casework.case_of(opened(app), number)
    parent = casework.received_messages(request)[-1]
    said = casework.first_lines(app, parent.get("mail_sha256") or "", count=20)
    quoted = "\n".join(f"#   {line}" for line in [parent.get("subject") or "(no subject)", *said])
    prompt = EDITOR_HELP.format(number=request.number, to=", ".join(casework.reply_recipients(parent)) or "—",
                                subject=casework.reply_subject(parent.get("subject") or "", request.number),
                                sender=parent.get("sender") or "—", received=parent.get("received_at"),
                                quoted=quoted)
    edited = click.edit(prompt, extension=".txt")
    if edited is None:
        raise Failure("the editor was closed without saving; nothing was sent")
    return "\n".join(line for line in edited.splitlines() if not line.startswith("#"))


@click.command()
@click.argument("number")
@click.option("-m", "--message", help="The answer's text (else --file, else $EDITOR opens).")
@click.option("--file", "path", type=click.File("r", encoding="utf-8"), help="Read the answer's text from FILE "
              "('-': standard input).")
@click.option("--dry-run", is_flag=True, help="Print the letter that would go out; record and send nothing.")
@pass_app
def reply(app: App, number: str, message: str | None, path, dry_run: bool) -> None:
    """Answer a case: a letter to whoever wrote its last message, in its thread (In-Reply-To, References,
    the number kept in the subject), framed in Lithuanian and signed with your name and position. It goes
    through the outbox like every letter, and is recorded in the case.

    \b
    Examples:
      itpc reply ITPC-2027-000004 --message "NTKS bandomoji aplinka veikia įprastai."
      itpc reply ITPC-2027-000004 --file atsakymas.txt
      itpc reply ITPC-2027-000004            # writes the text in $EDITOR
      itpc reply ITPC-2027-000004 --message "..." --dry-run
    """
    officer = acting_officer(app.settings)  # before anything is read or written: only officers answer
    if message is not None and path is not None:
        raise Failure("give the text once: --message or --file, not both")
    if dry_run:
        app.rehearse()
    text = message if message is not None else path.read() if path is not None else _text_from_editor(app, number)
    done = casework.reply(opened(app), number, text, officer=officer)
    if dry_run:
        click.echo(rehearsal_report(app, keep=lambda entry: entry.data.get("id") == done.mail_id))
        return
    send_pending(app, open_transport(app.settings.outbox.url, app.settings.outbox))
    status = casework.letter_status(app, done.mail_id)
    app.refresh_view()
    click.echo(f"{done.number}: reply to {', '.join(done.to)} ({done.subject}): {status}")


@click.command()
@click.argument("number")
@pass_app
def take(app: App, number: str) -> None:
    """Claim a case: `itpc requests` shows you as the officer who has it.

    \b
    Example:
      itpc take ITPC-2027-000004
    """
    officer = acting_officer(app.settings).login
    line = casework.take(opened(app), number, officer=officer)
    app.refresh_view()
    click.echo(line)


@click.command()
@click.argument("number")
@click.option("--reason", required=True, help="Why the case needs nothing more (recorded in the ledger).")
@pass_app
def close(app: App, number: str, reason: str) -> None:
    """Close an inquiry or a conversation: it leaves the officer queue until a new message about it comes.
    A request still waiting for its decision cannot be closed: decide it.

    \b
    Example:
      itpc close ITPC-2027-000004 --reason "Atsakyta, daugiau veiksmų nereikia."
    """
    officer = acting_officer(app.settings).login
    line = casework.close(opened(app), number, reason=reason, officer=officer)
    app.refresh_view()
    click.echo(line)
