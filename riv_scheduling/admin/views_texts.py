"""Start page, and texts and conditions (InformationType) with a preview of the citizen's step:
for the unit, for a time type in one flow, and for a care service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from riv_scheduling.domain import HealthcareFacility, Process

from . import forms, web
from .editing import ConfigEditor, Edit, EditError, current, find
from .export import Doc

blueprint = Blueprint("texts", __name__)

FLOWS = {
    Process.NYBOKNING.value: "Ny bokning",
    Process.OMBOKNING.value: "Ombokning",
    Process.AVBOKNING.value: "Avbokning",
}
BLANK_ROWS = 2


@blueprint.get("/")
def home() -> str:
    return render_template("home.html", units=web.facilities())


def units_with_time_type(doc: Doc, code: str) -> list[str]:
    return [u["hsa_id"] for u in doc["unit"] if code in u.get("time_types", [])]


def units_with_service(doc: Doc, service: str) -> list[str]:
    codes = {t["code"] for t in doc["time_type"] if service in t.get("care_services", [])}
    return [u["hsa_id"] for u in doc["unit"] if codes & set(u.get("time_types", []))]


def shared_refusal(units: list[str], what: str) -> str | None:
    """Time types and care services are defined once for every unit that has them (as in the file):
    only a staff member who has all those units may change them."""
    others = [u for u in units if not web.staff().may_see(u)]
    if others:
        return (f"{what} används även av {len(others)} enhet(er) som du inte administrerar; "
                "ändringar görs av en regional administratör.")
    return None


def _rows(items: list[dict[str, str]] | None) -> list[dict[str, str]]:
    return [dict(i) for i in items or []] + [{} for _ in range(BLANK_ROWS)]


def _text_page(
    facility: HealthcareFacility, section: str, key: str, info_path: tuple[str, ...], cond_path: tuple[str, ...],
    title: str, step: str, context: dict[str, Any], shared_with: list[str] | None = None,
) -> Any:
    editor = ConfigEditor(web.uow_factory())
    doc = editor.document()
    refusal = shared_refusal(shared_with, title) if shared_with is not None else None
    errors = forms.Errors()
    message = None
    status = 200
    if request.method == "POST":
        info = forms.infos(request.form, "info", errors)
        cond = forms.infos(request.form, "cond", errors)
        if refusal:
            abort(403, refusal)
        if not errors and request.form.get("action") == "save":
            try:
                summary = editor.change(web.staff(), facility.hsa_id, [
                    Edit(section, key, info_path, info), Edit(section, key, cond_path, cond),
                ])
            except EditError as exc:
                errors.add("form", str(exc))
            else:
                flash("Sparat." if summary.changed else "Inget ändrades.")
                return redirect(request.path)
        status = 400 if errors else 200
        info_rows, cond_rows = _rows(info), _rows(cond)
        if errors:  # show what was typed, so it can be corrected
            info_rows = _posted_rows(request.form, "info")
            cond_rows = _posted_rows(request.form, "cond")
    else:
        info_rows = _rows(current(doc, section, key, info_path))
        cond_rows = _rows(current(doc, section, key, cond_path))
    return render_template(
        "texts.html", unit=facility, title=title, step=step, info_rows=info_rows, cond_rows=cond_rows,
        errors=errors.fields, message=message, refusal=refusal, **context,
    ), status


def _posted_rows(form: Any, prefix: str) -> list[dict[str, str]]:
    try:
        count = min(int(form.get(f"{prefix}-count", "0")), forms.MAX_ROWS)
    except ValueError:
        count = 0
    return [{k: form.get(f"{prefix}-{n}-{k}", "") for k in ("header", "description", "link")} for n in range(count)]


@blueprint.route("/enhet/<hsa_id>/texter", methods=["GET", "POST"])
def unit_texts(hsa_id: str) -> Any:
    facility = web.unit(hsa_id)
    return _text_page(
        facility, "unit", facility.hsa_id, ("information",), ("condition_to_confirm",),
        f"Texter och villkor för {facility.name}", "Boka, omboka eller avboka tid", {"fixed": []},
    )


@blueprint.route("/enhet/<hsa_id>/besokstyp/<code>/texter/<flow>", methods=["GET", "POST"])
def time_type_texts(hsa_id: str, code: str, flow: str) -> Any:
    facility = web.unit(hsa_id)
    if flow not in FLOWS:
        abort(404, f"Okänt flöde {flow!r}: välj {', '.join(FLOWS)}.")
    doc = ConfigEditor(web.uow_factory()).document()
    if code not in find(doc, "unit", facility.hsa_id).get("time_types", []):
        abort(404, f"Besökstypen {code!r} finns inte vid {facility.name}.")
    time_type = find(doc, "time_type", code)
    unit_doc = find(doc, "unit", facility.hsa_id)
    # What else the citizen sees at this step: the unit's texts and those of the care services.
    fixed = [("Enhetens text", i, False) for i in unit_doc.get("information", [])]
    fixed += [("Enhetens villkor", i, True) for i in unit_doc.get("condition_to_confirm", [])]
    for service_code in time_type.get("care_services", []):
        service = find(doc, "care_service", service_code)
        label = f"Vårdtjänsten {service.get('display_name') or service_code}"
        fixed += [(label, i, False) for i in service.get("information", [])]
        fixed += [(label, i, True) for i in service.get("conditions_to_confirm", [])]
    return _text_page(
        facility, "time_type", code, ("rule", flow, "information"), ("rule", flow, "condition_to_confirm"),
        f"{time_type['name']} ({code}): {FLOWS[flow].lower()}", FLOWS[flow],
        {"fixed": fixed, "flows": FLOWS, "flow": flow, "code": code},
        shared_with=units_with_time_type(doc, code),
    )


@blueprint.route("/enhet/<hsa_id>/tjanst/<code>", methods=["GET", "POST"])
def service_texts(hsa_id: str, code: str) -> Any:
    facility = web.unit(hsa_id)
    doc = ConfigEditor(web.uow_factory()).document()
    units = units_with_service(doc, code)
    if facility.hsa_id not in units:
        abort(404, f"Vårdtjänsten {code!r} finns inte vid {facility.name}.")
    service = find(doc, "care_service", code)
    return _text_page(
        facility, "care_service", code, ("information",), ("conditions_to_confirm",),
        f"Vårdtjänsten {service.get('display_name') or code}", "Välj vårdtjänst", {"fixed": []},
        shared_with=units,
    )


@blueprint.get("/enhet/<hsa_id>")
def unit_page(hsa_id: str) -> str:
    facility = web.unit(hsa_id)
    doc = ConfigEditor(web.uow_factory()).document()
    unit_doc = find(doc, "unit", facility.hsa_id)
    time_types = [find(doc, "time_type", c) for c in unit_doc.get("time_types", [])]
    services = [s for s in doc["care_service"] if facility.hsa_id in units_with_service(doc, s["code"])]
    return render_template("unit.html", unit=facility, time_types=time_types, services=services, flows=FLOWS,
                           url_for=url_for)
