"""The layers of DESIGN.md hold: imports go only downward, and no import hides inside a function to dodge a
cycle. `itpc` → `ingest` | `responders` → `ledger` → `config`; `ingest` and `responders` never import each
other (the contract is in setup.cfg, checked by import-linter)."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGES = ("itpc", "ingest", "responders", "ledger", "config")
# Third-party modules that cost a noticeable part of a second to import and are needed only when a document is
# read or drawn (platformdirs: only when no data folder is configured, never under systemd): imported where they
# are used, so a command that never touches one never pays for it.
LAZY = {"pdfplumber", "pypdfium2", "PIL", "fpdf", "matplotlib", "mailparser", "jinja2", "fontTools", "platformdirs"}


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(lint), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)


def test_imports_go_only_downward():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("module, target", [
    ("ledger/store.py", "itpc.cli"),              # the bottom layer reaching for the shell
    ("ingest/parse.py", "responders.rules"),      # two layers that must stay independent
    ("config/settings.py", "ledger.clock"),       # configuration reaching up
])
def test_an_upward_import_breaks_the_contract(tmp_path, module, target):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    with open(tmp_path / module, "a", encoding="utf-8") as fh:
        fh.write(f"\nimport {target}  # noqa: E402,F401\n")
    proc = lint_imports(tmp_path)
    assert proc.returncode != 0
    assert "BROKEN" in proc.stdout and module.removesuffix(".py").replace("/", ".") in proc.stdout


def function_level_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import that sits inside a function or method."""
    found = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if nested and isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif nested and isinstance(child, ast.ImportFrom):
                found.append((child.lineno, "." * child.level + (child.module or "")))
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def test_no_import_hides_inside_a_function():
    bad = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, module in function_level_imports(path):
                if module.split(".")[0] not in LAZY:
                    bad.append(f"{path.relative_to(ROOT)}:{line}: import {module}")
    assert bad == [], "\n".join(bad)


def test_the_checker_finds_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from ledger import store\n    return store\n")
    assert function_level_imports(sample) == [(4, "ledger")]
