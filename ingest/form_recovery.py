"""The trader's notice that its systems work again before the consent ends (1B-1029:16)."""
from __future__ import annotations

import re
from datetime import datetime

from ingest.dates import VILNIUS, iso, parse_moment
from ingest.field_text import fold
from ingest.fields import find_consent_numbers, find_eori
from ingest.form_continuity import Reading
from ingest.form_kind import RECOVERY_SIGNS

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def parse_early_recovery(text: str, *, subject: str = "", received_at: datetime | None = None) -> Reading:
    """`consent_no` from the text, else from the subject ("RE: Sutikimas Nr. VTP-2026-000001"), and
    `resumed_at`: the time written in the sentence that says the systems work again ("vėl veikia nuo
    13:00"; a bare time takes its date from the receipt time), else any time in the text, else the receipt
    time itself (the rule requires the notice without delay, so receipt is the latest the recovery can be);
    `eori` when the text gives one. Point 16 asks for no consent number: without one the consent in force is
    found by the EORI or the sender, so a missing number is not a missing item.
    """
    numbers = find_consent_numbers(text) or find_consent_numbers(subject)
    folded = fold(text)
    resumed: datetime | None = None
    m = RECOVERY_SIGNS.search(folded)
    if m:
        start = max(folded.rfind(".", 0, m.start()), folded.rfind("\n", 0, m.start())) + 1
        stop = _SENTENCE_END.search(folded, m.end())
        resumed = parse_moment(text[start:stop.start() if stop else len(text)], received_at=received_at)
    if resumed is None:
        resumed = parse_moment(re.sub(r"VTP\s*-?\s*\d{4}\s*-?\s*\d{6}", " ", text, flags=re.I),
                               received_at=received_at)
    if resumed is None and received_at is not None:
        resumed = received_at.astimezone(VILNIUS)
    fields = {"consent_no": numbers[0] if numbers else None, "resumed_at": iso(resumed), "eori": find_eori(text)}
    missing = [] if fields["resumed_at"] else ["resumed_at"]
    found = sum(1 for key in ("consent_no", "resumed_at") if fields[key])
    return Reading(fields, missing, found / 2)
