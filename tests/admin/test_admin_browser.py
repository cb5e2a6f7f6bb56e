"""The staff web tool in a real browser (Playwright driving Debian's Chromium, headless).

Screenshots of the main pages are written to build/admin-screenshots/ (RIV_ADMIN_ARTIFACTS)."""

from __future__ import annotations

import re
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from adminweb import UNIT_A, UNIT_C, World, screenshot, sign_in

from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    Actor,
    AuditAction,
    AuditTrail,
    DomainError,
    PersonId,
    ResultCode,
    Scheduling,
    stockholm_now,
)

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
GHF = "urn:riv:supportprocess:logistics:scheduling:GetHealthcareFacilityResponder:2"
TOLVAN = "191212121212"
OTHER = "191010101010"


def get_healthcare_facility(world: World, unit: str) -> str:
    body = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:itr="urn:riv:itintegration:registry:1">'
        f"<soapenv:Header><itr:LogicalAddress>{unit}</itr:LogicalAddress></soapenv:Header>"
        f'<soapenv:Body><g:GetHealthcareFacility xmlns:g="{GHF}"/></soapenv:Body></soapenv:Envelope>'
    ).encode()
    request = urllib.request.Request(f"{world.soap_url}/GetHealthcareFacility/2/rivtabp21", data=body,
                                     headers={"Content-Type": "text/xml; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(response.read().decode())


def unit_conditions(world: World, unit: str) -> tuple[Any, ...]:
    with world.store.uow() as uow:
        facility = uow.facilities.get(unit)
        assert facility is not None
        return facility.information, facility.condition_to_confirm


def test_edit_condition_preview_save_and_soap_answers_with_it(world: World, page: Any) -> None:
    sign_in(page, world, "regina")
    screenshot(page, "start")
    page.goto(f"{world.admin_url}/enhet/{UNIT_A}/texter")
    new_text = "Jag har läst att avbokning ska ske senast ett dygn före besöket."
    before = get_healthcare_facility(world, UNIT_A)
    assert new_text not in before
    field = page.locator("#cond-0-header")
    field.fill(new_text)
    # The live preview shows it as a condition to accept, and "Fortsätt" waits for the tick.
    preview = page.locator('#preview [data-preview="cond-0-header"]')
    assert preview.text_content() == new_text
    continue_button = page.locator("#preview .pv-continue")
    assert continue_button.is_disabled()
    for box in page.locator("#preview .pv-item:not([hidden]) .pv-accept").all():
        box.check()
    assert continue_button.is_enabled()
    screenshot(page, "texts")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").text_content() == "Sparat."
    assert page.locator("#cond-0-header").input_value() == new_text
    # The very next SOAP answer (another server, same database) carries it.
    after = get_healthcare_facility(world, UNIT_A)
    assert new_text in after
    assert re.search(r"<[^>]*conditionToConfirm>.*?" + re.escape(new_text), after, re.S), after[:2000]


def test_local_administrator_is_refused_another_unit(world: World, page: Any) -> None:
    sign_in(page, world, "lokal")
    assert UNIT_C not in page.content()  # the start page lists only their own unit
    for path in (f"/enhet/{UNIT_C}/texter", f"/enhet/{UNIT_C}/regler", f"/enhet/{UNIT_C}"):
        response = page.goto(f"{world.admin_url}{path}")
        assert response.status == 403
        assert "Du har inte behörighet till den här enheten." in page.content()
    before = unit_conditions(world, UNIT_C)
    # Nor can they post to it, even with a valid token of their own session.
    page.goto(f"{world.admin_url}/enhet/{UNIT_A}/texter")
    token = page.locator('input[name="csrf_token"]').first.input_value()
    response = page.request.post(f"{world.admin_url}/enhet/{UNIT_C}/texter", form={
        "csrf_token": token, "action": "save", "cond-count": "1", "cond-0-header": "Kapat"})
    assert response.status == 403
    assert unit_conditions(world, UNIT_C) == before


def test_form_without_csrf_token_is_refused(world: World, page: Any) -> None:
    sign_in(page, world, "regina")
    page.goto(f"{world.admin_url}/enhet/{UNIT_C}/texter")
    before = unit_conditions(world, UNIT_C)
    page.locator("#cond-0-header").fill("Ändrat utan token")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_load_state()
    assert "Formuläret saknar en giltig säkerhetskod (CSRF)" in page.content()
    assert unit_conditions(world, UNIT_C) == before


def test_support_look_up_shows_a_refused_double_booking(world: World, page: Any) -> None:
    scheduling = Scheduling(world.store.uow)
    with world.store.uow() as uow:
        now = stockholm_now()
        slot = uow.timeslots.find_free(UNIT_A, now + timedelta(days=3), now + timedelta(days=20), ["SSKBESOK"])[0]
    first, second = PersonId(PERSONNUMMER_OID, TOLVAN), PersonId(PERSONNUMMER_OID, OTHER)
    scheduling.booking.make_appointment(UNIT_A, Actor(PERSONNUMMER_OID, TOLVAN, "116154003"), first, slot.id)
    with pytest.raises(DomainError) as refused:  # the double booking, recorded in the audit trail
        scheduling.booking.make_appointment(UNIT_A, Actor(PERSONNUMMER_OID, OTHER, "116154003"), second, slot.id)
    assert refused.value.code is ResultCode.REQUESTED_TIME_IS_ALREADY_RESERVED
    sign_in(page, world, "regina")
    page.goto(f"{world.admin_url}/support")
    page.get_by_label("Boknings-id eller personnummer").fill(OTHER)
    page.get_by_role("button", name="Sök").click()
    page.wait_for_load_state()
    row = page.locator("#history tbody tr", has_text="Nekad")
    assert "REQUESTED_TIME_IS_ALREADY_RESERVED" in row.first.text_content()
    assert OTHER not in page.content() and "19101010****" in page.content()  # masked
    screenshot(page, "support")
    page.get_by_role("button", name="Visa personnummer").click()
    page.wait_for_load_state()
    assert OTHER in page.locator("#history").text_content()
    revealed = [e for e in AuditTrail(world.store.uow).for_person(second) if e.action is AuditAction.REVEALED]
    assert len(revealed) == 1 and revealed[0].actor is not None and revealed[0].actor.id_extension == "regina"


def test_bad_input_gets_a_message_and_changes_nothing(world: World, page: Any) -> None:
    sign_in(page, world, "regina")
    page.goto(f"{world.admin_url}/enhet/{UNIT_C}/texter")
    before = unit_conditions(world, UNIT_C)
    script = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
    page.locator("#info-0-header").fill(script)
    # The preview shows the markup as text; nothing ran.
    assert page.locator('#preview [data-preview="info-0-header"]').text_content() == script
    assert page.evaluate("window.__pwned") is None
    page.get_by_role("button", name="Spara").click()
    page.wait_for_load_state()
    assert "får inte innehålla HTML-taggar" in page.locator("#error-summary").text_content()
    assert page.locator("#info-0-header").input_value() == script  # kept for correcting, rendered inert
    assert page.evaluate("window.__pwned") is None
    assert unit_conditions(world, UNIT_C) == before
    # Over-long text.
    page.locator("#info-0-header").fill("x" * 201)
    page.get_by_role("button", name="Spara").click()
    page.wait_for_load_state()
    assert "Rubriken är för lång: 201 tecken, högst 200." in page.content()
    assert unit_conditions(world, UNIT_C) == before
    # A negative notice.
    page.goto(f"{world.admin_url}/enhet/{UNIT_C}/regler/LAKARBESOK")
    with world.store.uow() as uow:
        time_type = uow.time_types.get(UNIT_C, "LAKARBESOK")
    page.get_by_label("Minsta framförhållning för bokning").fill("-5h")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_load_state()
    assert '"-5h" är inte en tid' in page.locator("#error-summary").text_content()
    with world.store.uow() as uow:
        assert uow.time_types.get(UNIT_C, "LAKARBESOK") == time_type
    # An unknown time type.
    response = page.goto(f"{world.admin_url}/enhet/{UNIT_C}/regler/FINNSINTE")
    assert response.status == 404
    assert "Besökstypen 'FINNSINTE' finns inte" in page.content()
    page.goto(f"{world.admin_url}/enhet/{UNIT_A}/atgarder")
    page.evaluate("document.querySelector('#time_type').options[0].value = 'FINNSINTE'")
    page.get_by_label("Personnummer (12 siffror)").first.fill(TOLVAN)
    page.get_by_role("button", name="Registrera kallelse").click()
    page.wait_for_load_state()
    assert "Okänd besökstyp 'FINNSINTE'" in page.content()


def test_screenshots_of_the_main_pages(world: World, page: Any) -> None:
    sign_in(page, world, "regina")
    for name, path in (
        ("unit", f"/enhet/{UNIT_A}"),
        ("flow-texts", f"/enhet/{UNIT_A}/besokstyp/LAKARBESOK/texter/NYBOKNING"),
        ("rules", f"/enhet/{UNIT_A}/regler"),
        ("time-type", f"/enhet/{UNIT_A}/regler/LAKARBESOK"),
        ("actions", f"/enhet/{UNIT_A}/atgarder"),
        ("statistics", "/statistik"),
    ):
        response = page.goto(f"{world.admin_url}{path}")
        assert response.status == 200, path
        assert "191212121212" not in page.content()
        screenshot(page, name)


def test_every_field_has_a_label_and_the_keyboard_reaches_the_content_first(world: World, page: Any) -> None:
    sign_in(page, world, "regina")
    unlabelled_js = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !e.closest('.citizen') && e.labels.length === 0).map(e => e.name || e.id)"""
    for path in (f"/enhet/{UNIT_A}/texter", f"/enhet/{UNIT_A}/besokstyp/LAKARBESOK/texter/OMBOKNING",
                 f"/enhet/{UNIT_A}/regler/LAKARBESOK", f"/enhet/{UNIT_A}/atgarder", "/support", "/statistik"):
        page.goto(f"{world.admin_url}{path}")
        assert page.evaluate(unlabelled_js) == [], path
        assert page.locator("html").get_attribute("lang") == "sv"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
