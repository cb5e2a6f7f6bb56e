"""Booking rules per time type, the clinic's actions (invitation, proposal, withdrawal) and the
configuration export."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request

from riv_scheduling.contract import personal_identity
from riv_scheduling.domain import (
    AuditAction,
    AuditEvent,
    ClinicSetup,
    DomainError,
    PersonId,
    ReasonRequired,
    ResultCode,
    SetupError,
    local_date,
    stockholm_now,
)

from . import forms, web
from .editing import ConfigEditor, Edit, EditError, find
from .export import ExportError, document
from .staff import Role
from .toml_out import dumps
from .views_texts import FLOWS, shared_refusal, units_with_time_type

blueprint = Blueprint("rules", __name__)

REASONS = {
    ReasonRequired.MANDATORY.value: "Krävs",
    ReasonRequired.OPTIONAL.value: "Frivillig",
    ReasonRequired.REASON_NOT_SUPPORTED.value: "Stöds inte",
}
NOTICES = {
    "booking_notice": "Minsta framförhållning för bokning",
    "update_notice": "Minsta framförhållning för ombokning",
    "cancel_notice": "Minsta framförhållning för avbokning",
    "confirm_notice": "Minsta framförhållning för bekräftelse",
}
SWITCHES = {
    "booking_allowed": "Går att boka via 1177",
    "hidden": "Skyddad (visas bara för kallade invånare)",
    "update_allowed": "Ombokning tillåten",
    "cancel_allowed": "Avbokning tillåten",
    "confirm_allowed": "Bekräftelse av preliminär tid tillåten",
}


@blueprint.get("/enhet/<hsa_id>/regler")
def rules(hsa_id: str) -> str:
    facility = web.unit(hsa_id)
    doc = ConfigEditor(web.uow_factory()).document()
    unit_doc = find(doc, "unit", facility.hsa_id)
    time_types = [find(doc, "time_type", c) for c in unit_doc.get("time_types", [])]
    return render_template("rules.html", unit=facility, time_types=time_types, switches=SWITCHES,
                           notices=NOTICES, flows=FLOWS, reasons=REASONS)


@blueprint.route("/enhet/<hsa_id>/regler/<code>", methods=["GET", "POST"])
def time_type(hsa_id: str, code: str) -> Any:
    facility = web.unit(hsa_id)
    editor = ConfigEditor(web.uow_factory())
    doc = editor.document()
    if code not in find(doc, "unit", facility.hsa_id).get("time_types", []):
        abort(404, f"Besökstypen {code!r} finns inte vid {facility.name}.")
    tt = find(doc, "time_type", code)
    refusal = shared_refusal(units_with_time_type(doc, code), f"Besökstypen {code}")
    services = doc["care_service"]
    errors = forms.Errors()
    values: dict[str, Any] = dict(tt)
    rules_by_flow = {r["process"]: r for r in tt.get("rule", [])}
    status = 200
    if request.method == "POST":
        if refusal:
            abort(403, refusal)
        edits = []
        for key in SWITCHES:
            values[key] = forms.checkbox(request.form, key)
            edits.append(Edit("time_type", code, (key,), values[key]))
        for key, label in NOTICES.items():
            values[key] = forms.notice(request.form, key, label, errors)
            edits.append(Edit("time_type", code, (key,), values[key]))
        known = {s["code"] for s in services}
        chosen = request.form.getlist("care_services")
        for c in chosen:
            if c not in known:
                errors.add("care_services", f"Okänd vårdtjänst {c!r}.")
        values["care_services"] = [c for c in chosen if c in known]
        edits.append(Edit("time_type", code, ("care_services",), values["care_services"]))
        for flow in FLOWS:
            rule = rules_by_flow.setdefault(flow, {"process": flow})
            for part in ("text", "code"):
                name = f"{flow}-reason_{part}_required"
                rule[f"reason_{part}_required"] = forms.choice(request.form, name, tuple(REASONS), "Orsak", errors)
            rule["reason_codes"] = forms.reason_codes(request.form, f"{flow}-reason_codes", errors)
            if rule["reason_code_required"] == ReasonRequired.MANDATORY.value and not rule["reason_codes"]:
                errors.add(f"{flow}-reason_codes", f"{FLOWS[flow]}: en kodad orsak som krävs behöver koder att välja.")
            for key in ("reason_text_required", "reason_code_required"):
                value = None if rule[key] == ReasonRequired.OPTIONAL.value else rule[key]
                edits.append(Edit("time_type", code, ("rule", flow, key), value))
            edits.append(Edit("time_type", code, ("rule", flow, "reason_codes"), rule["reason_codes"]))
        if not errors:
            try:
                summary = editor.change(web.staff(), facility.hsa_id, edits)
            except EditError as exc:
                errors.add("form", str(exc))
            else:
                flash("Sparat." if summary.changed else "Inget ändrades.")
                return redirect(request.path)
        status = 400
    return render_template(
        "time_type.html", unit=facility, tt=values, rules=rules_by_flow, services=services, errors=errors.fields,
        refusal=refusal, switches=SWITCHES, notices=NOTICES, flows=FLOWS, reasons=REASONS,
        codes_text=forms.codes_text,
    ), status


def _person(form: Any, errors: forms.Errors) -> PersonId | None:
    try:
        checked = personal_identity.from_text(form.get("person", ""))
    except personal_identity.InvalidPersonalIdentity as exc:
        errors.add("person", f"Personnumret är ogiltigt ({exc.reason}).")
        return None
    return PersonId(checked.root, checked.extension)


def _audit(action: AuditAction, unit: str, person: PersonId | None, timeslot: uuid.UUID | None, detail: str) -> None:
    with web.uow_factory()().writing() as uow:
        uow.audit.append(AuditEvent(
            at=stockholm_now(), interaction="admin", action=action, result_code=ResultCode.OK,
            facility_hsa_id=unit, person_id=person, actor=web.staff().actor, consumer_hsa_id=None,
            timeslot_id=timeslot, detail=detail,
        ))
        uow.commit()


@blueprint.route("/enhet/<hsa_id>/atgarder", methods=["GET", "POST"])
def actions(hsa_id: str) -> Any:
    facility = web.unit(hsa_id)
    setup = ClinicSetup(web.uow_factory())
    with web.uow_factory()() as uow:
        time_types = uow.time_types.list(facility.hsa_id)
        now = stockholm_now()
        free = uow.timeslots.find_free(facility.hsa_id, now, now + timedelta(days=366))[:15]
    errors = forms.Errors()
    action = request.form.get("action")
    status = 200
    if request.method == "POST":
        person = _person(request.form, errors) if action in ("assign", "propose") else None
        slot_id = None
        if action in ("propose", "withdraw"):
            try:
                slot_id = uuid.UUID(request.form.get("timeslot", "").strip())
            except ValueError:
                errors.add("timeslot", "Ange tidens id (ett UUID).")
        try:
            if errors:
                pass
            elif action == "assign":
                code = request.form.get("time_type", "")
                if code not in {t.code for t in time_types}:
                    errors.add("time_type", f"Okänd besökstyp {code!r} vid {facility.name}.")
                else:
                    priority = request.form.get("priority", "").strip()
                    valid = request.form.get("valid_until", "").strip()
                    a = setup.assign_time_type(facility.hsa_id, person, code,  # type: ignore[arg-type]
                                               priority=int(priority) if priority else None,
                                               valid_until=date.fromisoformat(valid) if valid else None)
                    _audit(AuditAction.ASSIGNED, facility.hsa_id, person, None,
                           json.dumps({"time_type": a.time_type_code, "priority": a.priority,
                                       "valid_until": str(a.valid_until) if a.valid_until else None}))
                    flash(f"Kallelse till {code} registrerad för {person.masked()}.")  # type: ignore[union-attr]
                    return redirect(request.path)
            elif action == "propose":
                appointment = setup.propose_appointment(facility.hsa_id, person, slot_id)  # type: ignore[arg-type]
                flash(f"Preliminär tid föreslagen: bokning {appointment.id}.")
                return redirect(request.path)
            elif action == "withdraw":
                with web.uow_factory()() as uow:
                    slot = uow.timeslots.get(slot_id)  # type: ignore[arg-type]
                if slot is None or slot.facility_hsa_id != facility.hsa_id:
                    errors.add("timeslot", "Tiden finns inte vid enheten.")
                else:
                    setup.withdraw_timeslot(slot.id)
                    _audit(AuditAction.WITHDRAWN, facility.hsa_id, None, slot.id, "withdrawn")
                    flash(f"Tiden {slot.id} är tillbakadragen.")
                    return redirect(request.path)
            else:
                errors.add("form", "Okänd åtgärd.")
        except ValueError as exc:  # SetupError, a bad number or date
            errors.add("form", f"Åtgärden kunde inte utföras: {exc}")
        except DomainError as exc:
            errors.add("form", f"{exc.code.value}: {exc.text}")
        status = 400
    return render_template("actions.html", unit=facility, time_types=time_types, free=free, errors=errors.fields,
                           action=action), status


@blueprint.get("/export.toml")
def export() -> Response:
    if web.staff().role is not Role.REGIONAL:  # the file holds every unit
        abort(403, "Bara en regional administratör kan exportera hela konfigurationen.")
    today = local_date(stockholm_now())
    try:
        with web.uow_factory()() as uow:
            doc = document(uow, today)
    except ExportError as exc:
        abort(409, f"Konfigurationen kan inte skrivas som fil: {exc}")
    text = dumps(doc, f"Clinic configuration exported by riv-scheduling admin on {today}.\n"
                      f"Load with: riv-scheduling load FILE --today {today}")
    return Response(text, mimetype="application/toml", headers={
        "Content-Disposition": f'attachment; filename="clinic-{today}.toml"'})


__all__ = ["SetupError", "blueprint"]
