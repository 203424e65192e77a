"""The public outage page (1B-1029:45, issue 13 item 15) as a visitor sees it: opened in headless Chromium
(Debian's `chromium`, which `make test` installs), printed, and read back — the outages going on and to come,
those recently ended, with their times in Vilnius, and when the page was last updated."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest

from tests.helpers import itpc, make_config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (`make test` installs it)")


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp}",
                           *args], capture_output=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[str, str]:
    """The page after an NTKS failure that ended, an MDAS failure going on for over two hours and a planned
    NTKS stop to come: the DOM Chromium built, and the text of the page as Chromium printed it."""
    tmp = tmp_path_factory.mktemp("page")
    config = make_config(tmp, outages={"page_directory": str(tmp / "page")})
    itpc(config, "outage", "start", "NTKS", "--at", "2026-12-02T06:00", now="2026-12-02T06:05")
    itpc(config, "outage", "start", "MDAS", "--at", "2026-12-02T06:30", now="2026-12-02T06:35")
    itpc(config, "outage", "end", "NTKS", "--at", "2026-12-02T07:30", now="2026-12-02T07:35")
    itpc(config, "outage", "plan", "NTKS", "--from", "2027-01-05T20:00", "--to", "2027-01-06T02:00",
         now="2026-12-02T08:00")
    itpc(config, "tick", now="2026-12-02T09:00")
    url = (tmp / "page" / "index.html").as_uri()
    dom = chromium(tmp / "profile", "--dump-dom", url).stdout.decode("utf-8")
    chromium(tmp / "profile", "--no-pdf-header-footer", f"--print-to-pdf={tmp / 'page.pdf'}", url)
    with pdfplumber.open(io.BytesIO((tmp / "page.pdf").read_bytes())) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    return dom, text


def test_a_visitor_sees_current_and_coming_outages_first_then_the_recently_ended(page):
    _, text = page
    lines = text.splitlines()
    assert lines[0] == "Muitinės informacinių sistemų neprieinamumas"
    now_at, ended_at = lines.index("Dabar ir artimiausiu metu"), lines.index("Neseniai baigęsi")
    current, ended = " ".join(lines[now_at:ended_at]), " ".join(lines[ended_at:])
    assert "MDAS 2026-12-02 06:30 kol bus atkurta" in current
    assert "leidžiama nepateikus Prašymo" in current                          # past two hours (20)
    assert "NTKS 2027-01-05 20:00 2027-01-06 02:00 Planuojamas stabdymas" in current
    assert "NTKS 2026-12-02 06:00 2026-12-02 07:30 Sutrikimas pašalintas" in ended
    assert "2026-12-02 06:00" not in current and "2027-01-05" not in ended and "MDAS" not in ended


def test_a_visitor_sees_when_the_page_was_last_updated_in_vilnius_time(page):
    _, text = page
    # The last change: the MDAS failure passing two hours at 08:30 (after the stop planned at 08:00).
    assert "Atnaujinta 2026-12-02 08:30 (Vilniaus laiku)." in " ".join(text.split())
    assert "Laikas nurodytas Vilniaus laiku." in text


def test_the_page_is_lithuanian_utf8_fit_for_phones_and_its_times_are_machine_readable(page):
    dom, _ = page
    assert re.search(r'<html lang="lt">', dom)
    assert '<meta charset="utf-8">' in dom and 'name="viewport"' in dom and "<style>" in dom
    assert '<time datetime="2026-12-02T04:30:00Z">2026-12-02 06:30</time>' in dom      # 06:30 Vilnius = 04:30 UTC
    assert '<time datetime="2027-01-05T18:00:00Z">2027-01-05 20:00</time>' in dom
    assert dom.index("<h2>Dabar ir artimiausiu metu</h2>") < dom.index("<h2>Neseniai baigęsi</h2>")
