"""Shared fixtures: real servers the integration tests talk to (started once per session)."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.dovecot import MINIMAL_CAPABILITIES, Dovecot, DovecotMissing


def _start_dovecot(**options) -> Dovecot:
    try:
        return Dovecot.start(**options)
    except DovecotMissing as exc:
        # Not a skip: `make test` installs Dovecot, so a missing one is a broken test machine.
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A real Dovecot on 127.0.0.1 (imaps + STARTTLS, self-signed certificate, one passwd-file user)."""
    server = _start_dovecot()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot_minimal() -> Iterator[Dovecot]:
    """A real Dovecot that announces neither MOVE nor IDLE (UIDPLUS only), like older servers."""
    server = _start_dovecot(capabilities=MINIMAL_CAPABILITIES)
    yield server
    server.stop()
