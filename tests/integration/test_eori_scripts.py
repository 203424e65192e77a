"""An EORI written in another script's digits is the same EORI (issue 12, item 5): it counts towards the
30-day limit of 1B-1029:12 and is printed in ASCII digits."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from ledger.clock import VILNIUS
from tests.helpers import CORPUS, itpc, make_config, poll_at

C01 = CORPUS / "mail" / "c01-labels-plain.eml"   # EORI LT302345671, received Mon 2026-11-23 08:41
SCRIPTS = [0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x1D7CE]   # ASCII, fullwidth, Arabic-Indic, ..., mathematical


def test_six_requests_with_the_eori_in_six_scripts_meet_the_limit_of_four(tmp_path):
    config = make_config(tmp_path)
    text = C01.read_text(encoding="utf-8")
    start = datetime(2026, 11, 23, 8, 41, tzinfo=VILNIUS)
    for i, zero in enumerate(SCRIPTS):
        at = start + timedelta(hours=i)
        digits = "".join(chr(zero + int(d)) for d in "302345671")
        mail = (text.replace("LT302345671", "LT" + digits)
                    .replace("Mon, 23 Nov 2026 08:41:00 +0200", at.strftime("%a, %d %b %Y %H:%M:%S +0200"))
                    .replace("<179542305577", f"<script{i}.179542305577")
                    .replace("nuo 2026-11-23 09:00 iki 2026-11-23 18:00",
                             f"nuo {at + timedelta(minutes=30):%Y-%m-%d %H:%M} iki 2026-11-23 23:00"))
        path = tmp_path / f"script{i}.eml"
        path.write_text(mail, encoding="utf-8")
        poll_at(config, path, at + timedelta(minutes=1))
    requests = [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines()]
    assert {r["fields"]["eori"] for r in requests} == {"LT302345671"}
    outcomes = [r["decision"]["outcome"] for r in sorted(requests, key=lambda r: r["received_at"])]
    assert outcomes == ["consent"] * 5 + ["refusal"]
    assert sorted(requests, key=lambda r: r["received_at"])[-1]["decision"]["rules"] == ["1B-1029:12"]
