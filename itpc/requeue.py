"""`itpc requeue`: an officer has a request whose processing failed processed again, and the ledger says why.

Two things can have failed; each is repaired by new entries, never by changing old ones:

a) its message could not be read (its registration has problems) and no final answer was given: the archived
   raw message is parsed again with today's code and configuration (`request.requeued`, `request.reparsed`),
   and the request is decided and answered anew. Its earlier decisions are kept but superseded, so nothing
   more is sent for them; the new decision's letters get new outbox ids.
b) letters the mail server refused (held) or that failed and still wait: put back into the outbox
   (`mail.requeued`, one per letter) and sent at once. Where (a) applies, the letters so far were for the
   decision it supersedes, so they are not released: the new decision's letters go instead.

A request already decided by an officer or answered with a final outcome is never parsed and answered again.
Which of the two applies is a pure function of the folded state (``plan_requeue``); the rest is the shell.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

from config.errors import RequestError
from itpc.app import App
from itpc.intake import reparse_mail
from itpc.service import Runner
from ledger.entries import MAIL_REQUEUED, REQUEST_REPARSED, REQUEST_REQUEUED
from ledger.views import OutboxItem, RequestView, State

log = logging.getLogger("itpc.requeue")

# Current outcomes that leave a request unanswered: not decided yet, or handed to an officer by the rules.
UNANSWERED = (None, "review")


class RequeueError(RequestError):
    """A request that cannot be requeued; the message says why, in one line."""


@dataclass(frozen=True)
class Requeue:
    """What processing a request again means for it: parse its message again, and/or release these letters."""
    reparse: bool
    letters: tuple[str, ...]


def plan_requeue(number: str, request: RequestView | None, outbox: Mapping[str, OutboxItem]) -> Requeue:
    """What failed in this request's processing and can be done again; RequeueError if nothing can."""
    if request is None:
        raise RequeueError(f"no request {number}")
    problems = list(request.registered.get("problems") or [])
    outcome = (request.decision or {}).get("outcome")
    officer = officer_of(request)
    reparse = bool(problems) and bool(request.mail_sha256) and officer is None and outcome in UNANSWERED
    if reparse:
        # Its letters so far were for the decision the re-parse supersedes (an acknowledgement of a review):
        # they are not released; the new decision's letters are sent instead.
        return Requeue(True, ())
    letters = tuple(mail_id for mail_id in request.mails[request.superseded_mails:]
                    if mail_id in outbox and waits_for_officer(outbox[mail_id]))
    if letters:
        return Requeue(False, letters)
    state = describe(request, outbox)
    if problems and not request.mail_sha256:
        raise RequeueError(f"{number} names no received message to read again ({state})")
    if problems and officer is not None:
        raise RequeueError(f"{number} was decided by an officer ({state}); it is not read and answered again, "
                           "though its message had problems")
    if problems and outcome not in UNANSWERED:
        raise RequeueError(f"{number} is already answered ({state}); it is not read and answered again, "
                           "though its message had problems")
    raise RequeueError(f"nothing failed in {number}: its message was read without problems; {state}")


def waits_for_officer(item: OutboxItem) -> bool:
    """Held (refused permanently, or past the daily cap), or failed and still waiting for its next try."""
    return item.sent is None and (item.held is not None or bool(item.failures))


def officer_of(request: RequestView) -> str | None:
    """Who of the officers decided this request, if any did (every decision not made by the rules is final)."""
    for decision in reversed(request.decisions):
        if decision.get("decided_by") not in (None, "auto"):
            return str(decision["decided_by"])
    return None


def describe(request: RequestView, outbox: Mapping[str, OutboxItem]) -> str:
    """The request's state in a few words, e.g. "decided consent VTP-2026-000001 (auto); 2 letters: 2 sent"."""
    decision = request.decision
    if decision is None:
        said = "waiting for a decision"
    elif decision["outcome"] == "review":
        said = "in review, waiting for an officer"
    else:
        said = (f"decided {decision['outcome']}" + (f" {decision['consent_no']}" if decision.get("consent_no") else "")
                + f" ({decision.get('decided_by') or 'auto'})")
    return f"{said}; {letters_said(request.mails[request.superseded_mails:], outbox)}"


def letters_said(mail_ids: list[str], outbox: Mapping[str, OutboxItem]) -> str:
    """How letters stand, e.g. "2 letters: 1 sent, 1 held" or "no letters"."""
    order = ("sent", "waiting to be sent", "failed, to be retried", "held")
    counts = dict.fromkeys(order, 0)
    for mail_id in mail_ids:
        item = outbox.get(mail_id)
        if item is not None:
            counts["sent" if item.sent else "held" if item.held else
                   "failed, to be retried" if item.recent_failures else "waiting to be sent"] += 1
    total = sum(counts.values())
    if not total:
        return "no letters"
    return f"{plural(total, 'letter')}: " + ", ".join(f"{n} {status}" for status, n in counts.items() if n)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def requeue_request(app: App, number: str, *, reason: str, officer: str) -> str:
    """Process again what failed in a request, record who asked and why, and run the processing at once.

    Returns one line saying what was done and how the request stands now; RequeueError when there is nothing
    to do again (an unknown number, nothing failed, or a request already answered)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise RequeueError("give the reason (--reason): it is recorded in the ledger")

    state = app.state
    plan = plan_requeue(number, state.requests.get(number), state.outbox)
    runner = Runner(app)
    # Parsing (PDF text, OCR) may take a while: done before taking the ledger's lock.
    record = reparse_mail(runner.intake, mail_of(state, state.requests[number])) if plan.reparse else None
    with app.ledger.writing():
        # Another process may have decided or sent something meanwhile: do only what still applies.
        now = plan_requeue(number, state.requests.get(number), state.outbox)
        reparse = plan.reparse and now.reparse
        letters = now.letters
        if not reparse and not letters:
            raise RequeueError(f"{number} changed while it was being read again; nothing is left to requeue")
        if reparse:
            app.ledger.append(REQUEST_REQUEUED, {"request": number, "reason": reason, "by": officer})
            app.ledger.append(REQUEST_REPARSED, {"request": number, **record})
        for mail_id in letters:
            app.ledger.append(MAIL_REQUEUED, {"id": mail_id, "request": number, "reason": reason, "by": officer})
    log.info("%s requeued by %s (%s): %s", number, officer, reason,
             "message parsed again" if reparse else f"{plural(len(letters), 'letter')} released")
    if reparse:
        runner.respond()  # decide and answer it anew, as `itpc decide` does after an officer's decision
    else:
        runner.flush()
    return summary(state.requests[number], state.outbox, reparse=reparse, released=letters)


def mail_of(state: State, request: RequestView) -> dict[str, Any]:
    """The `mail.received` data of the request's message (its registration names the same message)."""
    return state.mails.get(request.mail_sha256) or {"sha256": request.mail_sha256,
                                                   "message_id": request.message_id,
                                                   "received_at": request.received_at}


def summary(request: RequestView, outbox: Mapping[str, OutboxItem], *, reparse: bool,
            released: tuple[str, ...]) -> str:
    """One line for the officer: what was read or released, and how the request stands now."""
    if reparse:
        registered = request.registered
        problems = list(registered.get("problems") or [])
        done = f"message read again as {registered.get('kind')} from {registered.get('source') or 'body'}"
        done += (f", still with {plural(len(problems), 'problem')} ({problems[0]})" if problems
                 else ", no problems")
    else:
        done = f"released {letters_said(list(released), outbox)}"
    return f"{done}; now {describe(request, outbox)}"
