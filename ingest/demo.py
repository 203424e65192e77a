"""Demo requests for the embedded Maildir inbox (`make run`): a day of typical mail, generated here.

The messages are dated on the current Vilnius day, so running the seed twice on one day delivers the same
bytes (the ledger registers them once) and a new day brings a new batch.

    python -m ingest.demo var/inbox
"""
from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from ledger.clock import VILNIUS
from ledger.files import durable_write

TRADERS = [
    ("UAB „Šiaurės krovinių linija“", "LT100001234", "+370 5 212 0001", "deklaravimas@siaures-kroviniai.lt",
     "Jurgita Šimkienė", "Muitinės tarpininkė"),
    ("UAB „Žalgirio ekspedicija“", "LT200004567", "8 37 40 0002", "muitine@zalgirio-ekspedicija.lt",
     "Vytautas Čepulis", "Direktorius"),
    ("UAB „Ąžuolo prekyba“", "LT300007890", "+370 46 40 0003", "info@azuolo-prekyba.lt",
     "Eglė Kazlauskienė", "Vadybininkė"),
]


def _message(sender: str, subject: str, body: str, at: datetime, mid: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["Received"] = f"from mx.example.net by mail.lrmuitine.lt with ESMTPS; {format_datetime(at)}"
    msg["From"] = sender
    msg["To"] = "ITPC@lrmuitine.lt"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = mid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def demo_messages(day: date) -> list[tuple[str, bytes]]:
    """(file name, bytes) for one day of demo mail, in order of receipt."""
    def at(hour: int, minute: int) -> datetime:
        return datetime.combine(day, time(hour, minute), VILNIUS)

    def iso(d: date, hh: int, mm: int) -> str:
        return f"{d.isoformat()} {hh:02d}:{mm:02d}"

    tomorrow = day + timedelta(days=1)
    stamp = day.strftime("%Y%m%d")
    out = []
    (name1, eori1, tel1, mail1, person1, pos1), (name2, eori2, tel2, mail2, person2, pos2), \
        (name3, eori3, tel3, mail3, person3, pos3) = TRADERS

    out.append(_message(
        mail1, "Prašymas taikyti veiklos tęstinumo procedūrą",
        f"Laba diena,\n\nprašome sutikimo taikyti veiklos tęstinumo procedūrą.\n\n"
        f"Asmens pavadinimas: {name1}\nEORI kodas: {eori1}\nTelefonas: {tel1}\nSistema: MDAS\n"
        f"Laikotarpis: nuo {iso(day, 9, 0)} iki {iso(day, 17, 0)}\n"
        f"Muitinės įstaigos: LTVR1000 Vilniaus krovinių postas\n"
        f"Priežastis: sugedo serveris, kuriame veikia mūsų deklaravimo programa.\n"
        f"Sutikimą siųsti: {mail1}\n\nPagarbiai\n{person1}\n{pos1}\n",
        at(8, 15), f"<demo-{stamp}-1@siaures-kroviniai.lt>"))
    out.append(_message(
        mail2, "Prasymas taikyti veiklos testinumo procedura",
        f"Sveiki,\n\nImone: {name2.replace('„', '').replace('“', '')}\nEORI: {eori2[:2]} {eori2[2:5]} {eori2[5:]}\n"
        f"Tel.: {tel2}\nNeveikianti sistema: NTKS\nPradzia: {day.strftime('%Y.%m.%d')} 10:00\n"
        f"Pabaiga: {tomorrow.strftime('%Y.%m.%d')} 18:00\nDeklaravimo vietos: Kauno kroviniu postas\n"
        f"Priezastys: nutruko interneto rysys, tiekejo gedimas.\nAtsakyma prasome siusti: {mail2}\n"
        f"Kontaktinis asmuo: {person2}, {pos2}\n\nAciu\n",
        at(9, 40), f"<demo-{stamp}-2@zalgirio-ekspedicija.lt>"))
    out.append(_message(
        mail3, "Prašymas",
        f"Laba diena,\n\nprašome sutikimo taikyti veiklos tęstinumo procedūrą.\n\n"
        f"Asmens pavadinimas: {name3}\nEORI kodas: {eori3}\nTelefonas: {tel3}\nSistema: MDAS\n"
        f"Laikotarpis: nuo {iso(day, 12, 0)} iki {iso(day, 16, 0)}\nMuitinės įstaigos: LTKL1000\n"
        f"Priežastis: deklarantė atostogauja, kiti darbuotojai nemoka naudotis programa.\n"
        f"Sutikimą siųsti: {mail3}\n\nPagarbiai\n{person3}\n{pos3}\n",
        at(11, 5), f"<demo-{stamp}-3@azuolo-prekyba.lt>"))
    out.append(_message(
        "ieva.rimkute@lrmuitine.lt", "Prašymas dėl teisės naudotis AFIS/CIS+",
        "Laba diena,\n\nteikiu prašymą suteikti teisę naudotis AFIS/CIS+.\n\n"
        "Institucija: Vilniaus teritorinė muitinė\nPareigos: vyriausioji inspektorė\n"
        "Vardas, pavardė: Aistė Jonaitienė\nTel. Nr.: +370 5 266 1234\n"
        "El. paštas: aiste.jonaitiene@lrmuitine.lt\nPrieigos tipas: Internet/Secure Web\n"
        "Moduliai: CIS (EU)\nTikslai: muitinės informacijos sistemos duomenų analizė\n\n"
        "Pagarbiai\nIeva Rimkutė\nSkyriaus vedėja\n",
        at(13, 30), f"<demo-{stamp}-4@lrmuitine.lt>"))
    out.append(_message(
        mail1, "Automatinis atsakymas: Sutikimas", "Sveiki, šiandien nedirbu. Skubiais klausimais skambinkite.\n",
        at(13, 45), f"<demo-{stamp}-5@siaures-kroviniai.lt>", Auto_Submitted="auto-replied"))
    return [(f"{int(msg_at.timestamp())}.demo{i}.{stamp}", raw)
            for i, (raw, msg_at) in enumerate(zip(out, [at(8, 15), at(9, 40), at(11, 5), at(13, 30), at(13, 45)]), 1)]


def seed(inbox: Path, day: date) -> int:
    """Deliver the day's demo mail into a Maildir (created if needed); returns how many files are new."""
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    delivered = {p.name.split(":")[0] for p in (inbox / "cur").iterdir()}
    count = 0
    for name, raw in demo_messages(day):
        if name not in delivered and durable_write(inbox / "new" / name, raw):
            count += 1
    return count


def main() -> None:
    inbox = Path(sys.argv[1] if len(sys.argv) > 1 else "var/inbox")
    count = seed(inbox, datetime.now(VILNIUS).date())
    print(f"demo: {count} new message(s) delivered to {inbox}/new")


if __name__ == "__main__":
    main()
