"""contrib/systemd agrees with the code and the Makefile (issue 13 item 12): the Debian packages a production host
needs are listed once and installed by `make`, every package the code tells an operator to install is among
them, and the unit's file modes are the ones ledger/files.py creates."""
from __future__ import annotations

import configparser
import re
import subprocess

from ledger.files import FILE_MODE, FOLDER_MODE
from tests.helpers import ROOT

CONTRIB = ROOT / "contrib" / "systemd"


def runtime_packages() -> list[str]:
    lines = (CONTRIB / "debian-packages.txt").read_text(encoding="utf-8").splitlines()
    return [name for line in lines if (name := line.split("#", 1)[0].strip())]


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(CONTRIB / "itpc.service", encoding="utf-8")
    return parser


def test_make_installs_every_package_a_production_host_needs():
    debs = subprocess.run(["make", "-s", "-C", str(ROOT), "debs"], capture_output=True, text=True, check=True,
                          timeout=60).stdout.split()
    assert runtime_packages() and set(runtime_packages()) <= set(debs)
    assert "chromium" in debs and "dovecot-imapd" in debs          # the tests' own needs come on top
    assert not {"chromium", "dovecot-imapd", "poppler-utils"} & set(runtime_packages())  # ... not the host's


def test_every_package_the_code_asks_an_operator_to_install_is_listed():
    asked = set()
    for path in [*ROOT.glob("ingest/*.py"), *ROOT.glob("responders/*.py"), *ROOT.glob("itpc/*.py")]:
        asked |= set(re.findall(r"apt-get install ([a-z0-9][a-z0-9.+-]+)", path.read_text(encoding="utf-8")))
    assert asked and asked <= set(runtime_packages())
    assert {"tesseract-ocr", "tesseract-ocr-lit"} <= set(runtime_packages())  # ingest/documents.py runs tesseract


def test_the_units_modes_are_the_ones_the_ledger_creates():
    service = unit()["Service"]
    umask = int(service["UMask"], 8)
    assert 0o666 & ~umask == FILE_MODE and 0o777 & ~umask == FOLDER_MODE
    assert int(service["StateDirectoryMode"], 8) == FOLDER_MODE
    assert service["StateDirectory"] == "itpc" and "/var/lib/itpc" in service["ReadWritePaths"]


def test_the_secrets_file_mode_is_said_the_same_everywhere():
    said = [(CONTRIB / "itpc.env.example").read_text(encoding="utf-8").splitlines()[0],
            (CONTRIB / "itpc.service").read_text(encoding="utf-8"),
            (CONTRIB / "README.md").read_text(encoding="utf-8")]
    assert "root:root, mode 0600" in said[0] and "root:root, mode 0600" in said[1]
    assert "install -m 0600 -o root -g root itpc.env.example /etc/itpc/itpc.env" in said[2]
    assert "0640" not in said[0]
