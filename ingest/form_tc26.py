"""A returned TC26 form (1B-1052 annex) → what the consulted authority answered.

The reply arrives as the filled-in PDF (its text, via ingest.documents) or typed into an e-mail, in the
annex's Lithuanian or in English. Read: our file number (ETD-YYYY-NNNNNN), the MSVS number, the replying
authority (block 2) and its country, the conditions of part I.3 it ticks as not met with their ports, the
answers a–e of part II, the remarks, and whether the answer agrees to the authorisation. People tick with
X, x, ☒, ☑, ✓, ✔, [x], (x) and leave ☐, □, [ ], o; labels come with or without diacritics and spacing varies.

Pure: no I/O. ``looks_like_tc26`` is the kind test ``ingest.forms`` runs before the other kinds.
"""
from __future__ import annotations

from typing import Any

# Part I.3 conditions, in the annex's order, and the part II questions they mirror.
CONDITIONS = ("etd_data", "flights", "infringements", "control", "competence")
QUESTIONS = ("a", "b", "c", "d", "e")
# The answer to each part II question that agrees to (keeps) the authorisation: c asks about infringements.
AGREEING_ANSWERS = {"a": True, "b": True, "c": False, "d": True, "e": True}


def looks_like_tc26(text: str, subject: str = "") -> bool:
    """Whether ``text`` (with its mail subject) is a returned TC26 form or a typed answer to one: it names the
    form (TC26 or its title) and our ETD file number, or carries the form's part I.3 or part II."""
    raise NotImplementedError


def parse_tc26(text: str, subject: str = "") -> dict[str, Any]:
    """The answer's fields: ``file_number``, ``msvs_number``, ``authority``, ``country`` (ISO code or None),
    ``part`` ("I", "II" or None), ``conditions_not_met`` (a list of {"condition", "ports"} in CONDITIONS
    order), ``answers`` ({"a": True|False|None, ...}: YES / NO / not answered), ``remarks`` (text or None),
    and ``agrees`` (True: nothing ticked against the company and the answer is signed or says so; False: a
    condition not met or an answer against it; None: not answered clearly, for an officer)."""
    raise NotImplementedError
