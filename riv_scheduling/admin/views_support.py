"""Support look-up: an appointment's or a person's whole history from the audit trail.

Identity numbers are masked; revealing them is a deliberate POST that is itself audited. The
query is kept server-side under a random reference (never in a URL, cookie or hidden field), so
the page never carries the full number unless revealed. A local administrator sees the events of
their own units only.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from typing import Any

from flask import Blueprint, render_template, request

from riv_scheduling.contract import personal_identity
from riv_scheduling.domain import AuditAction, AuditEvent, AuditTrail, PersonId, ResultCode, stockholm_now

from . import web

blueprint = Blueprint("support", __name__)

ACTIONS = {
    AuditAction.MADE: "Bokad",
    AuditAction.PROPOSED: "Föreslagen (preliminär)",
    AuditAction.REBOOKED: "Ombokad",
    AuditAction.CANCELLED: "Avbokad",
    AuditAction.CONFIRMED: "Bekräftad",
    AuditAction.REPEATED: "Upprepad begäran",
    AuditAction.REFUSED: "Nekad",
    AuditAction.CONFIGURED: "Konfiguration ändrad",
    AuditAction.REVEALED: "Personnummer visat",
    AuditAction.ASSIGNED: "Kallad",
    AuditAction.WITHDRAWN: "Tid tillbakadragen",
}
_TTL_S = 30 * 60


class _Queries:
    """Reference -> (staff, query), for the reveal button; per process, kept half an hour."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, str, str, str]] = {}
        self._lock = threading.Lock()

    def put(self, username: str, kind: str, value: str) -> str:
        ref = secrets.token_urlsafe(16)
        now = time.monotonic()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if v[0] > now - _TTL_S}
            self._items[ref] = (now, username, kind, value)
        return ref

    def get(self, username: str, ref: str) -> tuple[str, str] | None:
        with self._lock:
            item = self._items.get(ref)
        if item is None or item[1] != username or item[0] <= time.monotonic() - _TTL_S:
            return None
        return item[2], item[3]


_QUERIES = _Queries()


def _parse(text: str) -> tuple[str, str] | None:
    text = text.strip()
    try:
        return "appointment", str(uuid.UUID(text))
    except ValueError:
        pass
    try:
        checked = personal_identity.from_text(text)
    except personal_identity.InvalidPersonalIdentity:
        return None
    return "person", f"{checked.root}|{checked.extension}"


def _events(kind: str, value: str) -> list[AuditEvent]:
    trail = AuditTrail(web.uow_factory())
    if kind == "appointment":
        events = trail.for_appointment(uuid.UUID(value))
    else:
        root, extension = value.split("|")
        events = trail.for_person(PersonId(root, extension))
    return [e for e in events if web.staff().may_see(e.facility_hsa_id)]


def _reveal(events: list[AuditEvent]) -> None:
    people = {e.person_id for e in events if e.person_id is not None}
    if not people:
        return
    with web.uow_factory()().writing() as uow:
        for person in sorted(people, key=lambda p: p.extension):
            unit = next(e.facility_hsa_id for e in events if e.person_id == person)
            uow.audit.append(AuditEvent(
                at=stockholm_now(), interaction="admin", action=AuditAction.REVEALED, result_code=ResultCode.OK,
                facility_hsa_id=unit, person_id=person, actor=web.staff().actor, consumer_hsa_id=None,
                detail="support look-up",
            ))
        uow.commit()


@blueprint.route("/support", methods=["GET", "POST"])
def lookup() -> Any:
    error = None
    events: list[AuditEvent] = []
    ref = None
    revealed = False
    status = 200
    if request.method == "POST":
        if request.form.get("ref"):
            ref = request.form["ref"]
            query = _QUERIES.get(web.staff().username, ref)
        else:
            query = _parse(request.form.get("query", ""))
            if query is not None:
                ref = _QUERIES.put(web.staff().username, *query)
        if query is None:
            error = ("Ange ett boknings-id (UUID) eller ett giltigt personnummer med 12 siffror."
                     if not request.form.get("ref") else "Sökningen har gått ut. Sök igen.")
            status = 400
        else:
            events = _events(*query)
            if request.form.get("reveal") == "1" and events:
                _reveal(events)
                revealed = True
    return render_template("support.html", error=error, events=events, ref=ref, revealed=revealed,
                           actions=ACTIONS, searched=request.method == "POST"), status
