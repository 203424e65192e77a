"""The public outage page (1B-1029:45): a static ``index.html`` and an Atom feed ``outages.atom``.

Rendering is pure (outages and a moment in, text out) and depends on the moment only through what changes
the page (an outage starting, passing two hours, being extended, ending, its keep-time passing), so the files
are rewritten only when their content changes; each is replaced atomically (temp file + rename), so a reader
never sees half a page.
"""
from __future__ import annotations

import hashlib
import html
import os
import tempfile
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Sequence

from ledger.clock import UTC, shown
from responders.outages import (END_RULE, GENERAL_AFTER, PLANNED, Outage, kept_until, listed, without_request,
                                without_request_rules, without_request_since)

PAGE = "index.html"
FEED = "outages.atom"
ATOM = "http://www.w3.org/2005/Atom"
PORTAL = "https://lrmuitine.lt/web/guest/843"   # „Muitinės informacinių sistemų neprieinamumas“ (45)
TITLE = "Muitinės informacinių sistemų neprieinamumas"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def status(outage: Outage, now: datetime) -> str:
    """The outage's state in Lithuanian, as the public reads it."""
    if outage.over(now):
        return _ended(outage)
    if without_request(outage, now):
        return (f"{_state(outage, now)}: veiklos tęstinumo procedūrą taikyti leidžiama nepateikus Prašymo "
                f"({_points(outage)})")
    return _state(outage, now)


def _state(outage: Outage, now: datetime) -> str:
    if outage.kind == PLANNED:
        state = "Vyksta planuotas stabdymas" if outage.ongoing(now) else "Planuojamas stabdymas"
        return state + (f", pratęstas iki {shown(outage.end)}" if outage.extensions else "")
    if now - outage.start > GENERAL_AFTER:
        return "Nenumatytas sutrikimas, trunkantis ilgiau nei 2 valandas"
    return "Nenumatytas sutrikimas"


def _ended(outage: Outage) -> str:
    """An ended outage, with its end; where the procedure went on without a request, its end (20, 32)."""
    what = "Stabdymas baigėsi" if outage.kind == PLANNED else "Sutrikimas pašalintas"
    text = f"{what}, {outage.system} veikimas atkurtas {shown(outage.end)}"
    if without_request_since(outage) is not None:
        point = END_RULE[outage.system].rsplit(":", 1)[1]
        text += (f"; veiklos tęstinumo procedūros taikymo pabaiga – {shown(outage.end)} "
                 f"(Muitinės veiklos tęstinumo taisyklių {point} punktas)")
    return text


def _points(outage: Outage) -> str:
    points = [rule.rsplit(":", 1)[1] for rule in without_request_rules(outage)]
    return (f"Muitinės veiklos tęstinumo taisyklių {' ir '.join(points)} "
            f"{'punktas' if len(points) == 1 else 'punktai'}")


def changed_at(outage: Outage, now: datetime) -> datetime:
    """When the outage's entry last changed as seen at ``now``: declared, started, extended, the procedure
    going on without a request, ended."""
    moments = [outage.declared_at or outage.start]
    moments += [e.at for e in outage.extensions if e.at <= now]
    if outage.start <= now:
        moments.append(outage.start)
    since = without_request_since(outage)
    if since is not None and since <= now:
        moments.append(since)
    if outage.over(now):
        moments.append(outage.end)
    return max(moments)


# A minimal readable style, inline: the page is one file any web server (or the portal, 45) serves as it is.
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; line-height: 1.5;
       color: #1b1b1b; background: #fff; max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.note, .updated { color: #555; margin: .25rem 0; }
.updated { margin-top: 1rem; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid #ccc; }
th { background: #f2f2f2; }
td:nth-child(2), td:nth-child(3) { white-space: nowrap; }
.ended td { color: #444; }
"""


def last_change(outages: Sequence[Outage], now: datetime, keep_days: int = 0) -> datetime:
    """When what the page and the feed say last changed (EPOCH when they never said anything): an outage listed
    changing, or an ended one leaving the list."""
    shown_now = listed(outages, now, keep_days)
    dropped = [kept_until(o, keep_days) for o in outages if o.over(now) and o not in shown_now]
    return max([changed_at(o, now) for o in shown_now] + dropped + [EPOCH])


def render_html(outages: Sequence[Outage], now: datetime, keep_days: int = 0) -> str:
    """The page: outages going on and to come, then those ended within ``keep_days`` (with their end), and when
    the information last changed; times in Vilnius."""
    shown_now = listed(outages, now, keep_days)
    current = [o for o in shown_now if not o.over(now)]
    ended = [o for o in shown_now if o.over(now)]
    sections = ["<h2>Dabar ir artimiausiu metu</h2>\n"]
    sections.append(_table(current, now) if current else
                    "<p>Šiuo metu muitinės informacinės sistemos MDAS ir NTKS veikia; planuojamų stabdymų nėra.</p>\n")
    if ended:
        sections += ["<h2>Neseniai baigęsi</h2>\n", _table(ended, now, css="ended")]
    updated = last_change(outages, now, keep_days)
    if updated > EPOCH:
        sections.append(f"<p class=\"updated\">Atnaujinta {_time(updated)} (Vilniaus laiku).</p>\n")
    return ("<!DOCTYPE html>\n<html lang=\"lt\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{TITLE}</title>\n"
            f"<link rel=\"alternate\" type=\"application/atom+xml\" href=\"{FEED}\" title=\"{TITLE}\">\n"
            f"<style>{STYLE}</style>\n"
            "</head>\n<body>\n<main>\n"
            f"<h1>{TITLE}</h1>\n"
            "<p class=\"note\">Laikas nurodytas Vilniaus laiku. Muitinės veiklos tęstinumo taisyklių 45 punktas.</p>\n"
            f"{''.join(sections)}</main>\n</body>\n</html>\n")


def _table(outages: Sequence[Outage], now: datetime, *, css: str = "") -> str:
    rows = "".join(
        (f"<tr class=\"{css}\">" if css else "<tr>")
        + f"<td>{html.escape(o.system)}</td>"
        f"<td>{_time(o.start)}</td>"
        f"<td>{_time(o.end) if o.end else 'kol bus atkurta'}</td>"
        f"<td>{html.escape(status(o, now))}</td>"
        "</tr>\n" for o in outages)
    return ("<div class=\"table\"><table>\n<thead><tr><th>Sistema</th><th>Nuo</th><th>Iki</th><th>Būsena</th></tr>"
            f"</thead>\n<tbody>\n{rows}</tbody>\n</table></div>\n")


def _time(moment: datetime) -> str:
    """A moment as a visitor reads it (Vilnius) and as a program does (``datetime``, UTC)."""
    return f"<time datetime=\"{_iso(moment)}\">{html.escape(shown(moment))}</time>"


def render_atom(outages: Sequence[Outage], now: datetime, keep_days: int = 0) -> str:
    shown_now = listed(outages, now, keep_days)
    updated = last_change(outages, now, keep_days)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", "urn:lrmuitine:itpc:outages")
    _text(feed, "title", TITLE)
    _text(feed, "updated", _iso(updated))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=PORTAL)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "Muitinės informacinių technologijų paslaugų centras")
    for outage in shown_now:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"urn:lrmuitine:itpc:outage:{outage.id}")
        until = shown(outage.end) if outage.end else "kol bus atkurta"
        _text(entry, "title", f"{outage.system}: {shown(outage.start)} – {until}")
        _text(entry, "updated", _iso(changed_at(outage, now)))
        _text(entry, "summary", f"{status(outage, now)}. {outage.system} neveikimo laikas: nuo "
                                f"{shown(outage.start)} iki {until} (Vilniaus laiku).")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def publish(directory: Path, outages: Sequence[Outage], now: datetime, *,
            keep_days: int = 0) -> list[str]:
    """Write the page and the feed where their content changed; the names of the files rewritten. An ended
    outage stays listed, with its end, for ``keep_days`` calendar days after it ended."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((PAGE, render_html(outages, now, keep_days)), (FEED, render_atom(outages, now, keep_days))):
        if _write_if_changed(directory / name, text.encode("utf-8")):
            written.append(name)
    return written


def _write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
            return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # a web server reads it; mkstemp makes it private
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = value


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
