"""(a) The kit passes in full against our own producer; what a producer does not serve is "not applicable"."""

from __future__ import annotations

import re

from defects import NOT_IN_CORE, VP004, hidden, not_served
from kit_helpers import PERSON, PERSON2, UNIT, failing, row_hashes, run_kit

from riv_scheduling.conformance.runner import NA, PASS
from riv_scheduling.domain import PERSONNUMMER_OID, ClinicSetup, PersonId

DATA_CHANGING = {"MakeAppointment", "UpdateAppointment", "CancelAppointment", "ConfirmAppointment"}
BEHAVIOUR = (
    "new-booking/double-booking/already-reserved",
    "new-booking/get/shows-booking",
    "new-booking/get-other-person/not-revealed",
    "new-booking/list/lists-booking",
    "rebooking/update-to-taken/already-reserved",
    "rebooking/get-after-failed-update/original-time-kept",
    "rebooking/search-after-failed-update/original-slot-still-booked",
    "rebooking/update/rebooked",
    "rebooking/search-after-update/original-slot-free-again",
    "cancellation/search-after/slot-offered-again",
    "cancellation/rebook-slot/booked-again",
    "cancellation/cancel-again/already-cancelled",
    "cancellation/get-after-cancel-again/repeat-changes-nothing",
    "cancellation/list-after-cancel-again/still-cancelled",
    "queries/timeslots/no-past-slot",
    "soap-faults/no-logical-address/fault",
    "soap-faults/schema-invalid/fault",
    "soap-faults/malformed-xml/fault",
    "service-discovery/get-appointments/wsdl-matches-contract",
)


def explain(result) -> str:
    return "\n".join(f"{r.status} {r.name}: {r.message}" for r in result.checks if r.status not in (PASS, NA))


def test_the_kit_passes_in_full_against_our_producer(producer) -> None:
    running = producer()
    result = run_kit(running)
    assert result.ok, explain(result)
    by_name = result.by_name()
    for name in BEHAVIOUR:  # the behavioural rules were really exercised, not skipped
        assert by_name[name].status == PASS, (name, by_name[name].message)
    # Whatever our producer serves is checked; only what it does not serve (or a scenario
    # variable nobody gave) is not applicable.
    for r in result.checks:
        if r.status == NA:
            named = re.search(r"does not serve (\w+)", r.message)
            assert (named and named.group(1) not in running.served) or "--var invitation_time_type" in r.message, r


def test_with_an_invitation_every_check_runs_and_passes(producer) -> None:
    """The kit's person holds an invitation to the demo's protected time type (ATERBESOK), as a
    region's tester would arrange: the invitation flow runs too, and a scenario that picks one slot
    for several persons (the concurrent booking) must not pick a protected one, which only the
    invited person may book."""
    running = producer()
    store = producer.started[-1][1]
    ClinicSetup(store.uow).assign_time_type(UNIT, PersonId(PERSONNUMMER_OID, PERSON), "ATERBESOK")
    result = run_kit(running, variables={"invitation_time_type": "ATERBESOK"}, days=7)
    assert result.ok, explain(result)
    assert [r.name for r in result.checks if r.status == NA] == []
    assert result.by_name()["concurrent-booking/race/others-already-reserved"].status == PASS


def test_checks_of_interactions_not_served_are_not_applicable(producer) -> None:
    running = producer(hidden(*NOT_IN_CORE))
    # An ordinary time type stands in for an invitation's: the invitation flow then runs step by step.
    result = run_kit(running, variables={"invitation_time_type": "SSKBESOK"})
    assert result.ok, explain(result)
    steps = {(sr.scenario.id, st.step.id): st for sr in result.scenarios for st in sr.steps}
    for r in result.checks:
        step = steps[(r.scenario, r.step)].step
        if step.interaction in NOT_IN_CORE:
            assert r.status == NA and f"does not serve {step.interaction}" in r.message, r
        elif r.status == NA:  # a flow that needs one of them
            named = re.search(r"does not serve (\w+)", r.message)
            assert named and named.group(1) in NOT_IN_CORE, r
    by_name = result.by_name()
    assert by_name["invitation/time-types/invited-type-listed"].status == NA
    assert by_name["invitation/search/only-invited-type"].status == PASS
    assert by_name["invitation/get/invited-type"].status == PASS
    for name in NOT_IN_CORE:
        assert result.served[name][0] is False
    confirmation = [sr for sr in result.scenarios if sr.scenario.id == "confirmation"][0]
    assert "ConfirmAppointment" in confirmation.note
    for name in BEHAVIOUR:
        assert by_name[name].status == PASS, (name, by_name[name].message)


def test_a_missing_mandatory_interaction_fails_discovery(producer) -> None:
    running = producer(hidden("GetAppointment"))
    result = run_kit(running, only=["service-discovery", "new-booking"])
    assert failing(result) == {"service-discovery/get-appointment/wsdl-matches-contract",
                               "service-discovery/get-appointment/wsdl-address"}
    assert result.by_name()["service-discovery/get-appointment/wsdl-address"].status == "blocked"
    assert "mandatory" in result.by_name()["service-discovery/get-appointment/wsdl-matches-contract"].message
    assert {r.status for r in result.checks if r.scenario == "new-booking"} == {NA}


def test_without_the_wsdl_probe_a_404_on_the_call_makes_checks_not_applicable(producer) -> None:
    running = producer(hidden(*NOT_IN_CORE))
    result = run_kit(running, only=["queries", "new-booking"], probe_wsdl=False)
    assert result.ok, explain(result)
    facility = result.by_name()["queries/facility/addressed-unit"]
    assert facility.status == NA and "HTTP 404" in facility.message
    assert result.by_name()["new-booking/double-booking/already-reserved"].status == PASS


def test_a_404_or_a_platform_fault_in_mid_flow_makes_the_rest_not_applicable(producer) -> None:
    for middleware, evidence in ((not_served("/UpdateAppointment/2/rivtabp21"), "HTTP 404"),
                                 (not_served("/UpdateAppointment/2/rivtabp21", VP004), "VP004")):
        running = producer(middleware)
        result = run_kit(running, only=["rebooking"])
        assert result.ok, explain(result)
        by_name = result.by_name()
        assert by_name["rebooking/make/booked"].status == PASS
        assert by_name["rebooking/occupy/booked"].status == PASS
        first = by_name["rebooking/update-to-taken/already-reserved"]
        assert first.status == NA and evidence in first.message
        assert by_name["rebooking/list/lists-rebooked"].status == NA
        assert result.served["UpdateAppointment"][0] is False
        # The bookings made before the interaction turned out to be missing are cancelled again.
        for person, other in ((PERSON, PERSON2), (PERSON2, PERSON)):
            after = run_kit(running, only=["queries"], person=person, person2=other)
            listed = [st for sr in after.scenarios for st in sr.steps if st.step.id == "appointments"][0]
            assert b"appointmentId" not in listed.exchange.response


def test_read_only_changes_nothing(producer) -> None:
    running = producer()
    store = producer.started[-1][1]
    before = row_hashes(store)
    result = run_kit(running, read_only=True)
    assert result.ok, explain(result)
    assert row_hashes(store) == before  # not one row of the producer's database changed
    assert any("(0 rows)" not in h for h in before.values())
    sent = [st.exchange for sr in result.scenarios for st in sr.steps + sr.cleanup if st.exchange is not None]
    assert sent and not [ex for ex in sent if ex.interaction in DATA_CHANGING and ex.kind != "wsdl"]
    for sr in result.scenarios:
        if sr.scenario.changes_data:
            assert sr.note.startswith("this scenario changes data")
            assert {r.status for r in sr.checks} == {NA}
        else:
            assert any(r.status == PASS for r in sr.checks), sr.scenario.id


def test_every_booking_the_kit_makes_is_cancelled_again(producer) -> None:
    running = producer()
    before = row_hashes(producer.started[-1][1])
    run_kit(running, only=["new-booking", "concurrent-booking", "rebooking", "cancellation", "confirmation"],
            concurrent_persons=(PERSON, PERSON2, "191212120016"))
    assert row_hashes(producer.started[-1][1]) != before  # the hashes see a change (the audit trail grew)
    for person, other in ((PERSON, PERSON2), (PERSON2, PERSON)):
        after = run_kit(running, only=["queries"], person=person, person2=other)
        listed = [st for sr in after.scenarios for st in sr.steps if st.step.id == "appointments"][0]
        assert b"appointmentId" not in listed.exchange.response


BLOCKED_FLOW = '''
[scenario]
id = "blocked-flow"
title = "A flow whose booking cannot be made"
flow = "TKB 2.0 §3.2.1"
changes_data = true

[[step]]
id = "search"
call = "GetAvailableTimeslots"
[step.request]
actor = "${actor}"
personId = "${person_id}"
startDateInclusive = "${search_from}"
endDateInclusive = "${search_to}"
[step.bind]
slot = "timeslot[timeType.code=NO-SUCH-TYPE][0]"

[[step]]
id = "make"
call = "MakeAppointment"
[step.request]
actor = "${actor}"
personId = "${person_id}"
timeslotId = "${slot.timeslotId}"

[[step]]
id = "get"
call = "GetAppointment"
when = "${make.appointmentId}"
[step.request]
actor = "${actor}"
appointmentId = "${unknown_id}"
personId = "${person_id}"

[[step]]
id = "list"
call = "GetAppointments"
[step.request]
actor = "${actor}"
personId = "${person_id}"

[[step.check]]
id = "lists-booking"
rule = "TKB 2.0 §3.1: the booking is listed"
when = "${make.appointmentId}"
value = "appointment.appointmentId"
contains = "${make.appointmentId}"
'''


def test_what_an_earlier_failure_kept_from_running_is_blocked_not_not_applicable(producer, tmp_path) -> None:
    from riv_scheduling.conformance import Runner, RunOptions, load

    path = tmp_path / "blocked.toml"
    path.write_text(BLOCKED_FLOW, encoding="utf-8")
    running = producer()
    result = Runner(RunOptions(running.url, running.unit, person=PERSON, person2=PERSON2)).run(load([path]))
    by_name = result.by_name()
    assert by_name["blocked-flow/make/schema-valid"].status == "blocked"  # nothing to book
    # A condition on the step that could not run cannot be decided: blocked, and the run fails.
    assert by_name["blocked-flow/get/schema-valid"].status == "blocked", by_name["blocked-flow/get/schema-valid"]
    assert by_name["blocked-flow/list/lists-booking"].status == "blocked"
    assert by_name["blocked-flow/list/schema-valid"].status == PASS
    assert not result.ok and result.totals[NA] == 0
