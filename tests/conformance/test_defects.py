"""(b) The kit catches injected defects: EXACTLY the checks that cover a defect fail, and the
report shows the envelope with the evidence."""

from __future__ import annotations

import html

import defects
from kit_helpers import failing, run_kit

from riv_scheduling.conformance import report
from riv_scheduling.conformance.runner import FAIL, NA, RunResult


def checks_on(result: RunResult, interaction: str, ids: set[str], evidence: bytes | None = None) -> set[str]:
    """Names of the checks ``ids`` on the steps calling ``interaction`` that ran (optionally: whose
    response contains ``evidence``)."""
    names = set()
    for sr in result.scenarios:
        for st in sr.steps:
            if st.step.interaction != interaction or st.step.kind != "call" or st.exchange is None:
                continue
            if evidence is not None and evidence not in st.exchange.response:
                continue
            names |= {r.name for r in st.checks if r.check in ids and r.status != NA}
    return names


def step_html(result: RunResult, check_name: str) -> str:
    """The HTML report's section of the step a check belongs to."""
    scenario, step, _ = check_name.split("/")
    page = report.html_report(result)
    start = page.index(f'id="{report.step_anchor(scenario, step)}"')
    end = page.find('<div class="step', start)
    return page[start:end if end > 0 else len(page)]


def assert_shown(result: RunResult, check_name: str, *evidence: str) -> None:
    section = step_html(result, check_name)
    assert f'<span class="s fail">FAIL</span> <code>{check_name}</code>' in section
    for text in evidence:
        assert html.escape(text, quote=True) in section, text


def test_a_response_in_the_wrong_namespace(producer) -> None:
    result = run_kit(producer(defects.wrong_namespace()))
    expected = checks_on(result, "GetAppointment", {"schema-valid", "namespaces"})
    assert {"new-booking/get/namespaces", "new-booking/get/schema-valid", "queries/unknown-appointment/namespaces",
            "rebooking/get-new/schema-valid", "cancellation/get/namespaces"} <= expected
    assert failing(result) == expected
    message = result.by_name()["new-booking/get/namespaces"].message
    assert "GetAppointmentResponder:1" in message and "GetAppointmentResponder:2" in message
    assert_shown(result, "new-booking/get/namespaces",
                 "urn:riv:supportprocess:logistics:scheduling:GetAppointmentResponder:1")


def test_a_double_booking_that_is_allowed(producer) -> None:
    result = run_kit(producer(defects.double_booking_allowed()))
    assert failing(result) == {
        "new-booking/double-booking/refused",
        "new-booking/double-booking/already-reserved",
        "new-booking/double-booking/no-appointment-id",
        "concurrent-booking/race/exactly-one-booked",
        "concurrent-booking/race/others-already-reserved",
        "cancellation/book-after-cancel-again/still-reserved",
    }
    assert "'OK'" in result.by_name()["new-booking/double-booking/already-reserved"].message
    assert_shown(result, "new-booking/double-booking/already-reserved", defects.FAKE_APPOINTMENT_ID,
                 ">OK</")


def test_past_slots_returned(producer) -> None:
    result = run_kit(producer(defects.past_slot_returned()))
    expected = checks_on(result, "GetAvailableTimeslots", {"no-past-slot"}, defects.PAST_TIMESLOT_ID.encode())
    assert {"queries/timeslots/no-past-slot", "queries/timeslots-anonymous/no-past-slot",
            "new-booking/search/no-past-slot", "rebooking/search-rebook/no-past-slot",
            "cancellation/search-after/no-past-slot"} <= expected
    assert failing(result) == expected
    message = result.by_name()["new-booking/search/no-past-slot"].message
    assert "1 of" in message and "090000" in message
    assert_shown(result, "new-booking/search/no-past-slot", defects.PAST_TIMESLOT_ID)


def test_the_wrong_result_code(producer) -> None:
    result = run_kit(producer(defects.wrong_result_code()))
    # Allowed in CancelAppointment (so result-code passes) and a refusal (so "refused" passes),
    # but the wrong one for an appointment that does not exist.
    assert failing(result) == {"cancellation/cancel-other-person/not-revealed",
                               "cancellation/cancel-unknown/does-not-exist"}
    assert result.by_name()["cancellation/cancel-unknown/result-code"].status == "pass"
    assert result.by_name()["cancellation/cancel-other-person/refused"].status == "pass"
    assert "TOO_LATE_TO_CANCEL_APPOINTMENT" in result.by_name()["cancellation/cancel-unknown/does-not-exist"].message
    assert_shown(result, "cancellation/cancel-unknown/does-not-exist", ">TOO_LATE_TO_CANCEL_APPOINTMENT</")


def test_a_missing_required_element(producer) -> None:
    result = run_kit(producer(defects.missing_required_element()))
    expected = checks_on(result, "GetAppointment", {"schema-valid"}, b"appointment>")
    # A check that reads the missing element covers the defect too.
    reads_status = {
        f"{sr.scenario.id}/{st.step.id}/{c.id}" for sr in result.scenarios for st in sr.steps
        for c in st.step.checks if c.value == "appointment.status" and st.status == "done"
    }
    assert {"new-booking/get/schema-valid", "rebooking/get-after-failed-update/schema-valid",
            "rebooking/get-new/schema-valid", "cancellation/get/schema-valid"} <= expected
    assert "queries/unknown-appointment/schema-valid" not in expected  # no appointment, nothing missing
    assert failing(result) == expected | reads_status
    message = result.by_name()["new-booking/get/schema-valid"].message
    assert "status" in message
    assert_shown(result, "new-booking/get/schema-valid", "appointmentId>", "personId>")


def test_faults_sent_with_http_200(producer) -> None:
    result = run_kit(producer(defects.faults_with_http_200()))
    assert failing(result) == {
        "soap-faults/no-logical-address/fault",
        "soap-faults/schema-invalid/fault",
        "soap-faults/malformed-xml/fault",
        "soap-faults/doctype/fault",
        "soap-faults/must-understand/fault",
    }
    assert "HTTP 200" in result.by_name()["soap-faults/malformed-xml/fault"].message
    assert_shown(result, "soap-faults/malformed-xml/fault", "Response: HTTP 200", "Fault>")


def test_each_failure_names_its_rule(producer) -> None:
    result = run_kit(producer(defects.double_booking_allowed()), only=["new-booking"])
    for r in result.checks:
        if r.status == FAIL:
            assert r.rule.startswith(("TKB 2.0 §3.7.2: ", "TKB 2.0 §7.11, §3.7: ")), r.rule
