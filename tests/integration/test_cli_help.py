"""`itpc --help` lists every command with its own summary without loading any command, and start-up stays
Python and click: neither `--help` nor a command that writes no letter imports what only drawing needs."""
from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from itpc import cli as itpc_cli
from tests.helpers import ROOT, make_config

# Modules a process runs without when it writes no letter and draws no document (the Sutikimas's font parser,
# the PDF libraries, Jinja2, the mail parser).
DRAWING = {"jinja2", "fpdf", "fontTools", "pdfplumber", "pypdfium2", "PIL", "matplotlib", "mailparser"}
OURS = {"config", "ledger", "ingest", "responders"}

LOADED = """
import json, sys
from itpc.cli import cli
try:
    cli(sys.argv[1:], prog_name="itpc")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_after(*argv: str) -> set[str]:
    """The top-level modules a fresh `itpc ARGV` process has imported when it ends."""
    proc = subprocess.run([sys.executable, "-c", LOADED, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    return {name.split(".")[0] for name in json.loads(proc.stderr.strip().splitlines()[-1])}


def test_the_help_lists_each_command_with_the_summary_its_own_help_gives():
    eager = click.Group("itpc", commands={name: itpc_cli.cli.get_command(click.Context(itpc_cli.cli), name)
                                          for name in itpc_cli.COMMANDS})
    for width in (80, 120):
        ours, theirs = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
        itpc_cli.cli.format_commands(click.Context(itpc_cli.cli), ours)
        eager.format_commands(click.Context(eager), theirs)
        assert ours.getvalue() == theirs.getvalue()
    assert set(itpc_cli.SUMMARIES) == set(itpc_cli.COMMANDS)


def test_help_and_version_load_no_command_and_nothing_of_ours():
    for argv in (["--help"], ["--version"]):
        loaded = modules_after(*argv)
        assert not loaded & (OURS | DRAWING), argv
    assert "itpc" in loaded


@pytest.mark.parametrize("argv", [["note", "ITPC-2026-000001", "Skambino, patikslins."], ["requests"], ["tick"]])
def test_a_command_that_writes_no_letter_loads_nothing_that_draws(tmp_path, argv):
    loaded = modules_after("--config", str(make_config(tmp_path)), "--now", "2026-12-02T09:00", *argv)
    assert "ledger" in loaded                # it did run
    assert not loaded & DRAWING
