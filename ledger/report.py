"""Views of requests for people and programs (pure: state in, text or JSON out)."""
from __future__ import annotations

from typing import Any

from .clock import VILNIUS, parse_instant, shown
from .views import RequestView, State


def vilnius_iso(value: str | None) -> str | None:
    return parse_instant(value).astimezone(VILNIUS).isoformat() if value else None


def request_json(view: RequestView, state: State) -> dict[str, Any]:
    """One request as DESIGN.md's `requests --json` contract."""
    decision = view.decision or {}
    notices = []
    for mail_id in view.mails:
        item = state.outbox[mail_id]
        status = "sent" if item.sent else "held" if item.held else "failed" if item.failures else "queued"
        notices.append({"id": item.id, "purpose": item.queued["purpose"], "to": list(item.queued["to"]),
                        "subject": item.queued["subject"], "status": status,
                        "sent_at": vilnius_iso(item.sent["at"]) if item.sent else None})
    return {
        "number": view.number,
        "kind": view.kind,
        "message_id": view.message_id,
        "received_at": vilnius_iso(view.received_at),
        "fields": view.registered.get("fields") or {},
        "missing": view.registered.get("missing") or [],
        "decision": {
            "outcome": decision.get("outcome", "none" if view.kind == "auto_generated" else "open"),
            "period_from": vilnius_iso(decision.get("period_from")),
            "period_to": vilnius_iso(decision.get("period_to")),
            "rules": decision.get("rules", []),
            "decided_by": decision.get("decided_by"),
            "consent_no": decision.get("consent_no"),
        },
        "notices": notices,
    }


def request_row(view: RequestView) -> str:
    decision = view.decision or {}
    fields = view.registered.get("fields") or {}
    who = fields.get("applicant") or fields.get("institution") or view.registered.get("sender") or ""
    outcome = decision.get("outcome", "open")
    extra = decision.get("consent_no") or ",".join(decision.get("rules", []))
    return (f"{view.number:<17} {shown(view.received):<16} {view.kind:<15} {str(who)[:30]:<30} "
            f"{fields.get('eori') or '':<15} {outcome:<11} {extra}")
