"""The clinic configuration file: the example loads, re-applying changes nothing, the database
follows edits without touching booked slots, mistakes are reported, and the clinic commands."""

from __future__ import annotations

import argparse
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from riv_scheduling.clinic import ConfigError, apply_config, load_config
from riv_scheduling.clinic.commands import register
from riv_scheduling.demo import DEMO_FILE, load_demo
from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    STOCKHOLM,
    Actor,
    AppointmentStatus,
    BookingLimits,
    DomainError,
    PersonId,
    Process,
    ReasonRequired,
    ResultCode,
    Scheduling,
    TimeslotQuery,
)
from riv_scheduling.store import Store, metadata

MONDAY = date(2025, 3, 10)
NORR, SODER = "SE2321000016-A1B2", "SE2321000016-C3D4"
TOLVAN = PersonId(PERSONNUMMER_OID, "191212121212")
CITIZEN = Actor(PERSONNUMMER_OID, "191212121212", "116154003")
SUNDAY_BEFORE = datetime(2025, 3, 9, 12, 0, tzinfo=STOCKHOLM)

SMALL = """
[[practitioner]]
hsa_id = "SE2321000016-P001"
first_name = "Pia"
last_name = "Persson"

[[time_type]]
code = "BESOK"
name = "Besök"

[[time_type]]
code = "GRUPP"
name = "Grupp"
patient_group = true

[[unit]]
hsa_id = "SE2321000016-U001"
name = "Enheten"
time_types = ["BESOK", "GRUPP"]

[[opening_hours]]
unit = "SE2321000016-U001"
time_type = "BESOK"
weekdays = "mon-fri"
from = "{start}"
to = "10:00"
slot_minutes = 30
practitioners = ["SE2321000016-P001"]
horizon_days = 7

[[opening_hours]]
unit = "SE2321000016-U001"
time_type = "GRUPP"
weekdays = ["wed"]
from = "13:00"
to = "14:00"
slot_minutes = 60
capacity = {capacity}
horizon_days = 7
"""


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: the whole database, to compare."""
    with store.engine.connect() as conn:
        return {
            table.name: sorted((tuple(map(repr, row)) for row in conn.execute(select(table))), key=repr)
            for table in metadata.sorted_tables
        }


def write(tmp_path: Path, text: str, name: str = "clinic.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def small(tmp_path: Path, start: str = "08:00", capacity: int = 4) -> Path:
    return write(tmp_path, SMALL.replace("{start}", start).replace("{capacity}", str(capacity)))


# -- the example file -----------------------------------------------------------------------------


def test_the_demo_file_describes_everything_the_contract_carries() -> None:
    config = load_config(DEMO_FILE)
    assert [u.facility.hsa_id for u in config.units] == [NORR, SODER]
    types = config.time_types
    assert {"LAKARBESOK", "SSKBESOK", "PROVTAGNING", "VIDEOBESOK", "ATERBESOK"} <= set(types)
    assert types["LAKARBESOK"].cancel_notice == types["LAKARBESOK"].update_notice == timedelta(hours=24)
    assert not types["PROVTAGNING"].update_allowed and types["ATERBESOK"].hidden
    assert types["VIDEOBESOK"].care_contact_code is not None and types["VIDEOBESOK"].video_meeting_url
    assert types["GRUPPBESOK"].patient_group and types["TEAMBESOK"].healthcare_team
    rule = types["LAKARBESOK"].rule(Process.NYBOKNING)
    assert rule is not None and rule.reason_text_required is ReasonRequired.MANDATORY and rule.reason_codes
    assert all(t.healthcare_services for t in types.values())
    norr = config.units[0].facility
    assert norr.care_guarantee_days == 3 and norr.information and norr.condition_to_confirm
    assert norr.related_facilities == (SODER,)
    assert any(h.priority for h in config.opening_hours) and any(h.capacity > 1 for h in config.opening_hours)


def test_loading_the_demo_gives_group_team_video_priority_and_guarantee(store: Store) -> None:
    summary = load_demo(store, MONDAY)
    assert summary.units_added == 2 and summary.timeslots_added > 1000
    scheduling = Scheduling(store.uow, clock=lambda: SUNDAY_BEFORE)
    window = TimeslotQuery(MONDAY, MONDAY + timedelta(days=27))
    views = scheduling.search.available_timeslots(NORR, window)
    by_type = {v.time_type.code: v for v in views}
    assert "ATERBESOK" not in by_type  # protected
    assert by_type["GRUPPBESOK"].timeslot.capacity == 8
    assert len(by_type["TEAMBESOK"].practitioners) == 2
    assert {v.within_care_guarantee for v in views} == {True, False}
    assert all(v.timeslot.priority is None for v in views)
    prioritised = scheduling.search.available_timeslots(NORR, TimeslotQuery(MONDAY, MONDAY, priority=1))
    assert any(v.timeslot.priority == 2 for v in prioritised)
    # The demo's rules apply: a doctor's appointment needs a reason text.
    slot = by_type["LAKARBESOK"].timeslot
    with pytest.raises(DomainError) as info:
        scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, slot.id)
    assert info.value.code is ResultCode.ERROR
    video = scheduling.booking.make_appointment(NORR, CITIZEN, TOLVAN, by_type["VIDEOBESOK"].timeslot.id, "Utslag")
    assert video.references and video.references[0].link.startswith("https://video.example.invalid/")  # type: ignore[union-attr]
    assert [f.hsa_id for f in scheduling.search.facilities_for(NORR, time_type_code="GRUPPBESOK")] == [NORR, SODER]


# -- re-applying and editing ----------------------------------------------------------------------


def test_reapplying_the_same_file_changes_nothing(store: Store) -> None:
    first = apply_config(store, DEMO_FILE, today=MONDAY)
    assert first.changed
    before = dump(store)
    again = apply_config(store, DEMO_FILE, today=MONDAY)
    assert not again.changed and str(again) == "no changes"
    assert dump(store) == before


def test_a_week_later_only_the_new_week_is_added(store: Store) -> None:
    first = apply_config(store, DEMO_FILE, today=MONDAY)
    later = apply_config(store, DEMO_FILE, today=MONDAY + timedelta(days=7))
    assert str(later) == f"timeslots: {first.timeslots_added // 4} added"


def test_edited_opening_hours_update_free_slots_and_never_touch_booked_ones(store: Store, tmp_path: Path) -> None:
    apply_config(store, small(tmp_path), today=MONDAY)
    scheduling = Scheduling(store.uow, clock=lambda: SUNDAY_BEFORE)
    unit = "SE2321000016-U001"
    day = TimeslotQuery(MONDAY, MONDAY)
    eight, half_past = [v.timeslot for v in scheduling.search.available_timeslots(unit, day)][:2]
    booked = scheduling.booking.make_appointment(unit, CITIZEN, TOLVAN, eight.id)
    monday = TimeslotQuery(MONDAY, MONDAY + timedelta(2))
    group = next(v.timeslot for v in scheduling.search.available_timeslots(unit, monday) if v.time_type.code == "GRUPP")

    summary = apply_config(store, small(tmp_path, start="09:00", capacity=6), today=MONDAY)
    # 08:00 and 08:30 go on five weekdays; 08:00 on Monday is booked and stays.
    assert (summary.timeslots_removed, summary.timeslots_updated, summary.timeslots_added) == (9, 1, 0)
    with store.uow() as uow:
        assert uow.timeslots.get(eight.id) is not None and uow.timeslots.get(half_past.id) is None
        assert uow.timeslots.get(group.id).capacity == 6  # type: ignore[union-attr]
    view = scheduling.reading.get_appointment(unit, TOLVAN, booked.id)
    assert view is not None and view.slot.timeslot.id == eight.id
    assert not apply_config(store, small(tmp_path, start="09:00", capacity=6), today=MONDAY).changed


def test_slots_before_the_day_applied_are_left_alone(store: Store, tmp_path: Path) -> None:
    apply_config(store, small(tmp_path), today=MONDAY)
    before = dump(store)["timeslot"]
    summary = apply_config(store, small(tmp_path, start="09:00"), today=MONDAY + timedelta(days=7))
    assert summary.timeslots_removed == 0
    assert set(before) <= set(dump(store)["timeslot"])


# -- mistakes in the file -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace('name = "Enheten"', 'name = "Enheten"\nnamn = "typo"'), "unknown key(s) 'namn'"),
        (lambda s: s.replace('time_types = ["BESOK", "GRUPP"]', 'time_types = ["BESOK", "GRUPP", "X"]'), "'X'"),
        (lambda s: s.replace("patient_group = true", ""), "patient_group"),
        (lambda s: s.replace('slot_minutes = 30', 'slot_minutes = 0'), "slot_minutes"),
        (lambda s: s.replace('weekdays = "mon-fri"', 'weekdays = "fri-mon"'), "backwards"),
        (lambda s: s.replace('"SE2321000016-P001"]', '"SE2321000016-NOPE"]'), "NOPE"),
        (lambda s: s + '\n[[time_type]]\ncode = "BESOK"\nname = "igen"\n', "defined twice"),
        (lambda s: s.replace('name = "Besök"', 'name = "Besök"\nbooking_notice = "soon"'), "booking_notice"),
        (lambda s: s + '\n[[time_type.rule]]\nprocess = "BOKNING"\n', "NYBOKNING"),
        (
            lambda s: s.replace('name = "Besök"', 'name = "Besök"\n[time_type.limits]\nper_month = 1'),
            "time_type[0].limits: unknown limit(s) 'per_month'",
        ),
    ],
)
def test_mistakes_are_reported_with_their_place(tmp_path: Path, edit: Any, message: str) -> None:
    text = edit(SMALL.replace("{start}", "08:00").replace("{capacity}", "4"))
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert message in str(info.value)


def test_time_type_limits_load_from_the_file_and_reloading_changes_nothing(store: Store, tmp_path: Path) -> None:
    text = SMALL.replace("{start}", "08:00").replace("{capacity}", "4")
    text = text.replace('name = "Besök"', 'name = "Besök"\n[time_type.limits]\nonce_per_days = 30')
    config = load_config(write(tmp_path, text))
    assert config.time_types["BESOK"].limits == BookingLimits(once_per_days=30)
    assert config.time_types["GRUPP"].limits == BookingLimits()
    apply_config(store, write(tmp_path, text), today=MONDAY)
    with store.uow() as uow:
        assert uow.time_types.get("SE2321000016-U001", "BESOK").limits.once_per_days == 30  # type: ignore[union-attr]
    before = dump(store)
    assert not apply_config(store, write(tmp_path, text), today=MONDAY).changed
    assert dump(store) == before
    for bad, message in (("0", "at least"), ('"30"', "expected an integer")):
        with pytest.raises(ConfigError, match=message):
            load_config(write(tmp_path, text.replace("once_per_days = 30", f"once_per_days = {bad}")))


def test_an_invalid_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    apply_config(store, small(tmp_path), today=MONDAY)
    before = dump(store)
    with pytest.raises(ConfigError):
        apply_config(store, write(tmp_path, "[[unit]]\nhsa_id = 1\n", "bad.toml"), today=MONDAY)
    assert dump(store) == before


# -- the clinic commands --------------------------------------------------------------------------


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="riv-scheduling")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_load_prints_what_changed(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("load", str(DEMO_FILE), "--db", db_url, "--today", "2025-03-10") == 0
    assert capsys.readouterr().out.startswith("units: 2 added; practitioners: 6 added;")
    assert run("load", str(DEMO_FILE), "--db", db_url, "--today", "2025-03-10") == 0
    assert capsys.readouterr().out == "no changes\n"
    assert run("load", "no-such-file.toml", "--db", db_url) == 1
    assert "no-such-file.toml" in capsys.readouterr().err


def test_propose_confirm_withdraw_and_assign(db_url: str, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    load_demo(store)
    now = datetime.now(STOCKHOLM)
    scheduling = Scheduling(store.uow)
    window = TimeslotQuery(now.date() + timedelta(days=3), now.date() + timedelta(days=20))
    first, second = scheduling.search.available_timeslots(NORR, window)[:2]

    assert run("propose", "--unit", NORR.lower(), "--person", "19121212-1212",
               "--timeslot", str(first.timeslot.id), "--db", db_url) == 0
    appointment_id = uuid.UUID(capsys.readouterr().out.strip())
    view = scheduling.reading.get_appointment(NORR, TOLVAN, appointment_id)
    assert view is not None and view.appointment.status is AppointmentStatus.PRELIMINARY
    scheduling.confirmation.confirm_appointment(NORR, CITIZEN, TOLVAN, appointment_id)

    assert run("withdraw", "--timeslot", str(second.timeslot.id), "--db", db_url) == 0
    assert second.timeslot.id not in {v.timeslot.id for v in scheduling.search.available_timeslots(NORR, window)}
    capsys.readouterr()
    assert run("propose", "--unit", NORR, "--person", "191212121212", "--timeslot", str(second.timeslot.id),
               "--db", db_url) == 1
    assert "REQUESTED_TIME_IS_NO_LONGER_AVAILABLE" in capsys.readouterr().err

    hidden = TimeslotQuery(window.start_date, window.end_date, time_type_code="ATERBESOK", person_id=TOLVAN)
    assert scheduling.search.available_timeslots(NORR, hidden) == []
    assert run("assign", "--unit", NORR, "--person", "191212121212", "--time-type", "ATERBESOK",
               "--priority", "2", "--db", db_url) == 0
    assert capsys.readouterr().out.strip() == f"assigned ATERBESOK at {NORR} to 19121212**** (priority 2)"
    assert scheduling.search.available_timeslots(NORR, hidden)
    assert run("assign", "--unit", NORR, "--person", "191212121212", "--time-type", "NOPE", "--db", db_url) == 1


def test_invite_prints_the_open_invitations_id(db_url: str, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    load_demo(store)
    assert run("invite", "--unit", NORR, "--person", "191212121212", "--time-type", "ATERBESOK",
               "--purpose", "Återbesök efter provtagning", "--valid-until", "2099-12-31", "--db", db_url) == 0
    invitation_id = uuid.UUID(capsys.readouterr().out.strip())
    view = Scheduling(store.uow).reading.open_invitation(NORR, TOLVAN, invitation_id)
    assert view is not None and view.invitation.purpose == "Återbesök efter provtagning"
    assert view.invitation.is_open and str(view.invitation.valid_until) == "2099-12-31"
    assert run("invite", "--unit", NORR, "--person", "191212121212", "--time-type", "NOPE",
               "--purpose", "x", "--db", db_url) == 1


def test_person_argument_knows_samordningsnummer() -> None:
    from riv_scheduling.clinic.commands import person_id
    from riv_scheduling.domain import SAMORDNINGSNUMMER_OID

    assert person_id("197010632391").root == SAMORDNINGSNUMMER_OID
    assert person_id("19121212-1212") == TOLVAN
    with pytest.raises(argparse.ArgumentTypeError):
        person_id("1912")
