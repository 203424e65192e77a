"""Signed checkpoints published outside the ledger (issue 12, item 15): `itpc ledger verify` given the
published checkpoint finds what the hash chain alone cannot: a tail cut off, the last entry rewritten with a
fresh hash, the whole chain re-hashed after a change, an archived message replaced."""
from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from ledger.archive import RawArchive
from ledger.checkpoints import (ArchivePaths, Checkpointer, archive_digest, archive_paths, generate_key,
                                load_private_key, signed_bytes)
from ledger.entries import LEDGER_CHECKPOINT, MAIL_RECEIVED, OFFICER_NOTE, REQUEST_REGISTERED
from ledger.store import LEDGER_FILE, Ledger, encode_line, entry_hash
from ledger.verify import NamedPaths, verify_file
from tests.helpers import itpc, make_config

RAW = [b"Subject: Prasymas 1\r\n\r\nNCTS neveikia\r\n", b"Subject: Prasymas 2\r\n\r\nAIS neveikia\r\n"]


@pytest.fixture()
def signed(tmp_path):
    """A ledger of 6 entries (two received messages archived), a signed checkpoint of it published outside
    the ledger, then 2 entries more."""
    key = tmp_path / "keys" / "checkpoint.pem"
    published = tmp_path / "published" / "checkpoints.jsonl"
    config = make_config(tmp_path, ledger={"signing_key": str(key), "checkpoint_file": str(published)})
    itpc(config, "ledger", "keygen", str(key))
    ledger_dir = tmp_path / "ledger"
    archive = RawArchive(ledger_dir / "archive")
    with Ledger(ledger_dir) as ledger:
        for i, raw in enumerate(RAW, start=1):
            ledger.append(MAIL_RECEIVED, {"sha256": archive.put(raw), "message_id": f"<{i}@imone.lt>"})
            ledger.append(OFFICER_NOTE, {"request": f"ITPC-2026-00000{i}", "text": "pastaba", "by": "jonas"})
        ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000001", "text": "adresas: a@imone.lt", "by": "jonas"})
        ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000002", "text": "paskutinis", "by": "jonas"})
        Checkpointer(ledger, key=load_private_key(key, ledger_dir), publish_to=published).checkpoint()
        ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000002", "text": "po patikros", "by": "jonas"})
        ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000002", "text": "dar vienas", "by": "jonas"})
    return config, ledger_dir / LEDGER_FILE, published


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def rehash_from(lines: list[bytes], index: int) -> None:
    """What a forger does: recompute the hash of line ``index`` and of every line after it, re-chained."""
    prev = json.loads(lines[index - 1])["hash"] if index else "0" * 64
    for i in range(index, len(lines)):
        obj = json.loads(lines[i])
        obj["prev"] = prev
        obj["hash"] = prev = entry_hash(obj["seq"], obj["ts"], obj["type"], obj["data"], prev)
        lines[i] = encode_line(obj)


def verify(config: Path, *extra: str):
    return itpc(config, "ledger", "verify", *extra, check=False)


def test_the_untouched_ledger_verifies_against_its_published_checkpoint(signed):
    config, path, published = signed
    [checkpoint] = [json.loads(line) for line in published.read_text().splitlines()]
    assert checkpoint["seq"] == 6 and checkpoint["signature"] and checkpoint["key_id"]
    assert json.loads(lines_of(path)[6])["type"] == LEDGER_CHECKPOINT
    proc = verify(config)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.startswith("ok: 9 entries")
    assert f"1 checkpoints (1 signed by key {checkpoint['key_id']})" in proc.stdout
    assert "published checkpoint at seq 6 holds" in proc.stdout and "2 archived files re-hashed" in proc.stdout


def cut_off(lines, ledger_dir):
    return lines[:4], "entries were cut off"


def last_entry_rewritten(lines, ledger_dir):
    """Drop the checkpoint and what followed, rewrite the last entry it vouched for, give it a valid hash."""
    lines = lines[:6]
    obj = json.loads(lines[5])
    obj["data"]["text"] = "kitas tekstas"
    lines[5] = encode_line(obj)
    rehash_from(lines, 5)
    return lines, "entry 6 is not the one the published checkpoint vouches for"


def chain_rehashed(lines, ledger_dir):
    """Change an early entry and re-hash everything after it, the checkpoint entry included."""
    obj = json.loads(lines[4])
    obj["data"]["text"] = "adresas: kitas@example.com"
    lines[4] = encode_line(obj)
    rehash_from(lines, 4)
    return lines, "entry 6 is not the one the published checkpoint vouches for"


def archive_replaced(lines, ledger_dir):
    sha = json.loads(lines[2])["data"]["sha256"]
    target = RawArchive(ledger_dir / "archive").path_for(sha)
    os.chmod(target, 0o640)
    target.write_bytes(RAW[1].replace(b"AIS", b"NCTS"))
    return lines, "does not match its name (its content was replaced)"


@pytest.mark.parametrize("tamper", [cut_off, last_entry_rewritten, chain_rehashed, archive_replaced])
def test_each_tampering_the_chain_cannot_see_is_found_given_the_published_checkpoint(signed, tamper):
    config, path, published = signed
    lines, says = tamper(lines_of(path), path.parent)
    path.write_bytes(b"".join(lines))
    assert verify_file(path).ok  # the chain alone holds: this is what item 15 is about
    proc = verify(config, "--checkpoint", str(published))
    assert proc.returncode == 1, proc.stdout
    assert says in proc.stdout and proc.stdout.count("\n") == 1


def test_a_forged_published_checkpoint_is_refused_by_its_signature(signed, tmp_path):
    config, path, published = signed
    checkpoint = json.loads(published.read_text())
    lines = lines_of(path)[:6]
    obj = json.loads(lines[5])
    obj["data"]["text"] = "pakeista"
    lines[5] = encode_line(obj)
    rehash_from(lines, 5)
    path.write_bytes(b"".join(lines))
    forged = {**checkpoint, "head": json.loads(lines[5])["hash"]}  # the forger can't re-sign
    public = tmp_path / "keys" / "checkpoint.pem.pub"
    proc = verify(config, "--checkpoint", json.dumps(forged), "--public-key", str(public))
    assert proc.returncode == 1
    assert "signature does not verify" in proc.stdout


def test_a_checkpoint_signed_by_another_key_is_refused(signed, tmp_path):
    config, _, published = signed
    other = tmp_path / "other" / "key.pem"
    itpc(config, "ledger", "keygen", str(other))
    proc = verify(config, "--checkpoint", str(published), "--public-key", f"{other}.pub")
    assert proc.returncode == 1 and "signature does not verify" in proc.stdout


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(signed, tmp_path):
    config, _, _ = signed
    key = tmp_path / "keys" / "checkpoint.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    again = itpc(config, "ledger", "keygen", str(key), check=False)
    assert again.returncode == 1 and "exists already" in again.stderr and key.read_bytes() == before


def test_a_signing_key_inside_the_ledger_folder_is_refused(tmp_path):
    config = make_config(tmp_path)
    inside = tmp_path / "ledger" / "key.pem"
    proc = itpc(config, "ledger", "keygen", str(inside), check=False)
    assert proc.returncode == 1 and "inside the ledger folder" in proc.stderr and not inside.exists()


def test_tick_appends_signs_and_publishes_a_checkpoint_once(signed, tmp_path):
    config, path, published = signed
    itpc(config, "tick", now="2026-11-23T09:00")
    itpc(config, "tick", now="2026-11-23T09:01")  # nothing new since: no second checkpoint
    checkpoints = [json.loads(line) for line in published.read_text().splitlines()]
    assert [c["seq"] for c in checkpoints] == [6, 9]
    assert json.loads(lines_of(path)[-1])["type"] == LEDGER_CHECKPOINT and len(lines_of(path)) == 10
    assert verify(config).returncode == 0


def test_the_writer_checkpoints_every_n_entries(tmp_path):
    published = tmp_path / "published.jsonl"
    with Ledger(tmp_path / "ledger") as ledger:
        Checkpointer(ledger, every=5, publish_to=published).attach()
        for i in range(12):
            ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000001", "text": str(i), "by": "jonas"})
        types = [e.type for e in ledger.entries]
    assert [i + 1 for i, t in enumerate(types) if t == LEDGER_CHECKPOINT] == [6, 12]
    assert [json.loads(line)["signature"] for line in published.read_text().splitlines()] == ["", ""]


def test_unsigned_checkpoints_verify_and_say_so(tmp_path):
    config = make_config(tmp_path)
    with Ledger(tmp_path / "ledger") as ledger:
        ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000001", "text": "x", "by": "jonas"})
        Checkpointer(ledger).checkpoint()
    proc = verify(config)
    assert proc.returncode == 0 and "1 checkpoints (0 signed, 1 unsigned)" in proc.stdout


def test_backup_keeps_the_published_checkpoints(signed, tmp_path):
    config, _, published = signed
    itpc(config, "ledger", "backup", str(tmp_path / "backup"))
    assert (tmp_path / "backup" / "checkpoints.jsonl").read_bytes() == published.read_bytes()


def test_a_checkpoint_at_a_saved_position_does_not_read_the_file_again(tmp_path, monkeypatch):
    # A tick opens the ledger at its saved position: signing must not re-hash the hundreds of MB before it.
    config = make_config(tmp_path)
    with Ledger(tmp_path / "ledger") as ledger:
        for i in range(5):
            ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000001", "text": str(i), "by": "jonas"})
        position = ledger.position
    monkeypatch.setattr(Ledger, "_hash_prefix", lambda self: pytest.fail("the file before the position was re-read"))
    with Ledger.at_position(tmp_path / "ledger", position) as ledger:
        entry = Checkpointer(ledger, paths=ArchivePaths()).checkpoint()
    assert entry is not None and set(entry.data) == {"seq", "head", "archive_digest", "key_id", "signature"}
    proc = verify(config)
    assert proc.returncode == 0 and "1 checkpoints" in proc.stdout


def old_checkpoint(ledger: Ledger, key) -> dict:
    """A checkpoint as written before 2026-12: it also signs the SHA-256 of the file's bytes."""
    data = {"seq": len(ledger), "head": ledger.head,
            "ledger_sha256": hashlib.sha256(ledger.path.read_bytes()).hexdigest(),
            "archive_digest": ArchivePaths().digest()}
    data.update(key_id="old", signature=key.sign(signed_bytes(data)).hex())
    ledger.append(LEDGER_CHECKPOINT, data)
    return data


def test_checkpoints_that_sign_the_file_hash_still_hold_the_bytes_to_it(tmp_path):
    key_file = tmp_path / "keys" / "checkpoint.pem"
    generate_key(key_file)
    config = make_config(tmp_path, ledger={"signing_key": str(key_file)})
    with Ledger(tmp_path / "ledger") as ledger:
        ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000001", "text": "pirma", "by": "jonas"})
        published = old_checkpoint(ledger, load_private_key(key_file, tmp_path / "ledger"))
    assert verify(config, "--checkpoint", json.dumps(published)).returncode == 0
    stripped = {k: v for k, v in published.items() if k != "ledger_sha256"}
    proc = verify(config, "--checkpoint", json.dumps(stripped))
    assert proc.returncode == 1 and "signature does not verify" in proc.stdout
    # The same values with the keys of `data` in another order: the chain holds, the old file hash does not.
    path = tmp_path / "ledger" / LEDGER_FILE
    lines = lines_of(path)
    first = json.loads(lines[0])
    first["data"] = dict(reversed(list(first["data"].items())))
    path.write_bytes(encode_line(first) + b"".join(lines[1:]))
    assert verify_file(path).ok
    proc = verify(config)
    assert proc.returncode == 1 and "checkpoint at seq 2 does not match the entries before it" in proc.stdout


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=70), st.text("0123456789abcdef", min_size=64, max_size=64)), st.text(max_size=12))
def test_the_archive_paths_an_entry_names_are_where_the_archive_keeps_them(sha, filename):
    # archive_paths formats plain digests as strings (a full verify asks for every entry's): same as pathlib.
    archive = RawArchive(Path(""))
    received = {"type": MAIL_RECEIVED, "data": {"sha256": sha}}
    registered = {"type": REQUEST_REGISTERED, "data": {"attachments": [{"sha256": sha, "filename": filename}]}}
    assert list(archive_paths(received)) == [str(archive.path_for(sha))]
    assert list(archive_paths(registered)) == [str(archive.attachment_path(sha, filename))]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text("ab/.c", max_size=5), max_size=6), max_size=8))
def test_verify_digests_the_named_paths_at_each_checkpoint_as_the_writer_does(batches):
    # verify keeps the paths sorted by merging in the new ones: each digest must be archive_digest of all so far.
    named, so_far = NamedPaths(), []
    for batch in batches:
        named.add(batch)
        so_far.extend(batch)
        assert named.digest() == archive_digest(so_far)
    assert named.seen == set(so_far)
