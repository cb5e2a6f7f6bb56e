"""Whether a person may take a slot, and whether an appointment may still be changed.

Every booking rule lives here once. MakeAppointment, UpdateAppointment and the clinic's proposal
(ClinicSetup.propose_appointment) all ask `BookingPolicy`; what differs between them is data in
`FLOW_RULES`: which rules apply to the flow and which result code a rule yields there (TKB 2.0
§3.7.2-3.7.5 list the codes each contract may answer). Texts are in result_codes.py.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from .clock import local_date, to_local, to_utc
from .model import (
    Appointment,
    Assignment,
    Code,
    HealthcareFacility,
    PersonId,
    Process,
    ReasonRequired,
    Timeslot,
    TimeType,
)
from .ports import UnitOfWork
from .result_codes import (
    OTHER_TIME_TYPE,
    PROTECTED_TIME_TYPE,
    DomainError,
    ResultCode,
    booked_within,
    reason_code_missing,
    reason_code_not_allowed,
    reason_text_missing,
)


class Flow(enum.Enum):
    """A way of taking a slot."""

    MAKE = "MakeAppointment"
    UPDATE = "UpdateAppointment"
    PROPOSE = "propose"  # the clinic books a PRELIMINARY appointment for the citizen


@dataclass(frozen=True)
class FlowRules:
    """Which rules apply when taking a slot in one flow, and the code each refusal carries there.
    A code of None means the rule does not apply to the flow."""

    passed: ResultCode | None  # the slot has started
    inside_booking_notice: ResultCode | None  # the slot starts within the time type's booking notice
    citizen_booking: bool  # booking_allowed and protected time types (assignments) apply
    reason_process: Process | None  # the time type's appointment rule checked for the reasons
    over_limit: ResultCode  # the time type's BookingLimits would be exceeded


FLOW_RULES: dict[Flow, FlowRules] = {
    Flow.MAKE: FlowRules(
        passed=ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED,
        inside_booking_notice=ResultCode.TOO_LATE_TO_MAKE_APPOINTMENT,
        citizen_booking=True,
        reason_process=Process.NYBOKNING,
        over_limit=ResultCode.APPOINTMENT_IS_NOT_ALLOWED,
    ),
    # UpdateAppointment has no TOO_LATE_TO_MAKE_APPOINTMENT (TKB 2.0 §3.7.3): a slot inside the
    # booking notice is simply no longer available online. The rebooked time type was open to the
    # person already, so booking_allowed and assignments are not asked again.
    Flow.UPDATE: FlowRules(
        passed=ResultCode.REQUESTED_TIME_HAS_ALREADY_PASSED,
        inside_booking_notice=ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE,
        citizen_booking=False,
        reason_process=Process.OMBOKNING,
        over_limit=ResultCode.ERROR,  # TKB 2.0 §3.7.3 has no APPOINTMENT_IS_NOT_ALLOWED
    ),
    # The clinic's own rules are not the citizen's: no notice, protected time types are fine,
    # and the clinic writes what reasons it likes.
    Flow.PROPOSE: FlowRules(
        passed=None,
        inside_booking_notice=None,
        citizen_booking=False,
        reason_process=None,
        over_limit=ResultCode.APPOINTMENT_IS_NOT_ALLOWED,
    ),
}


class Change(enum.Enum):
    """A change of an existing appointment, each with its own permission and notice."""

    UPDATE = "UpdateAppointment"
    CANCEL = "CancelAppointment"
    CONFIRM = "ConfirmAppointment"


@dataclass(frozen=True)
class ChangeRules:
    allowed: Callable[[TimeType], bool]
    notice: Callable[[TimeType], timedelta]  # minimum time between the change and the slot's start
    not_allowed: ResultCode
    too_late: ResultCode


CHANGE_RULES: dict[Change, ChangeRules] = {
    Change.UPDATE: ChangeRules(
        attrgetter("update_allowed"),
        attrgetter("update_notice"),
        ResultCode.UPDATE_APPOINTMENT_IS_NOT_ALLOWED,
        ResultCode.TOO_LATE_TO_UPDATE_APPOINTMENT,
    ),
    Change.CANCEL: ChangeRules(
        attrgetter("cancel_allowed"),
        attrgetter("cancel_notice"),
        ResultCode.CANCEL_IS_NOT_ALLOWED,
        ResultCode.TOO_LATE_TO_CANCEL_APPOINTMENT,
    ),
    Change.CONFIRM: ChangeRules(
        attrgetter("confirm_allowed"),
        attrgetter("confirm_notice"),
        ResultCode.CONFIRM_IS_NOT_ALLOWED,
        ResultCode.TOO_LATE_TO_CONFIRM_APPOINTMENT,
    ),
}


def lead_time(slot: Timeslot, now: datetime) -> timedelta:
    """Real time from now until the slot starts (negative once started)."""
    return slot.start_utc - to_utc(now)


def too_late(slot: Timeslot, now: datetime, notice: timedelta) -> bool:
    """The slot has started, or starts within the notice the time type requires."""
    return too_late_by_lead(lead_time(slot, now), notice)


def too_late_by_lead(lead: timedelta, notice: timedelta) -> bool:
    """`too_late` for a slot starting `lead` from now."""
    return lead <= timedelta(0) or lead < notice


def check_reason(
    time_type: TimeType, process: Process, reason_text: str | None, reason_code: Code | None
) -> tuple[str | None, Code | None]:
    """Apply the time type's appointment rule for the flow to a reason.

    Returns the reason to keep: a reason the rule does not support (ReasonNotSupported) is
    dropped silently, since the consumer should not have shown the field. A missing mandatory
    reason or a code outside the rule's `reason_codes` is an ERROR naming what is wrong.
    Without a rule for the flow there are no requirements.
    """
    rule = time_type.rule(process)
    if rule is None:
        return reason_text, reason_code
    if rule.reason_text_required is ReasonRequired.REASON_NOT_SUPPORTED:
        reason_text = None
    elif rule.reason_text_required is ReasonRequired.MANDATORY and not (reason_text and reason_text.strip()):
        raise DomainError(ResultCode.ERROR, reason_text_missing(process, time_type.name))
    if rule.reason_code_required is ReasonRequired.REASON_NOT_SUPPORTED:
        reason_code = None
    elif reason_code is None:
        if rule.reason_code_required is ReasonRequired.MANDATORY:
            raise DomainError(ResultCode.ERROR, reason_code_missing(process, time_type.name))
    elif not rule.allows_code(reason_code):
        raise DomainError(
            ResultCode.ERROR,
            reason_code_not_allowed(reason_code.code, reason_code.code_system, process, time_type.name),
        )
    return reason_text, reason_code


def usable_assignments(
    uow: UnitOfWork,
    facility: HealthcareFacility,
    person_id: PersonId,
    now: datetime,
    active: list[tuple[Appointment, Timeslot]] | None = None,
) -> dict[str, Assignment]:
    """The person's assignments at the unit that allow a booking now, by time type code.

    An assignment is valid through its `valid_until` date and allows one upcoming appointment
    of its time type at a time: while the person holds one (not yet ended), it is in use.
    `active` saves reading the person's active appointments when the caller has them.
    """
    today = local_date(now)
    valid = {a.time_type_code: a for a in uow.assignments.list(facility.hsa_id, person_id) if a.valid_on(today)}
    if not valid:
        return {}
    if active is None:
        active = uow.appointments.list_active(facility.hsa_id, person_id)
    in_use = {s.time_type_code for _, s in active if s.end_utc > to_utc(now)}
    return {code: a for code, a in valid.items() if code not in in_use}


class BookingPolicy:
    """The rules that decide whether a person may take a slot, or change an appointment.

    Taking a slot is judged in two steps, because the clinic's proposal takes its place in between:
    `check_slot` (the slot and its time type) and `check_person` (the person and the reasons).
    """

    def check_slot(self, flow: Flow, slot: Timeslot, time_type: TimeType | None, now: datetime) -> TimeType:
        """The slot can still be taken in this flow; returns its time type.

        `time_type` is the time type the slot must have (for a rebooking: the original's), None
        when the unit no longer has the slot's time type."""
        rules = FLOW_RULES[flow]
        if slot.withdrawn or time_type is None:
            raise DomainError(ResultCode.REQUESTED_TIME_IS_NO_LONGER_AVAILABLE)
        lead = lead_time(slot, now)
        if rules.passed is not None and lead <= timedelta(0):
            raise DomainError(rules.passed)
        if slot.time_type_code != time_type.code:  # a rebooking stays within its time type
            raise DomainError(ResultCode.ERROR, OTHER_TIME_TYPE)
        if rules.inside_booking_notice is not None and lead < time_type.booking_notice:
            raise DomainError(rules.inside_booking_notice)
        if rules.citizen_booking and not time_type.booking_allowed:
            raise DomainError(ResultCode.APPOINTMENT_IS_NOT_ALLOWED)
        return time_type

    def check_person(
        self,
        flow: Flow,
        uow: UnitOfWork,
        facility: HealthcareFacility,
        person_id: PersonId,
        slot: Timeslot,
        time_type: TimeType,
        now: datetime,
        reason_text: str | None = None,
        reason_code: Code | None = None,
        replacing: uuid.UUID | None = None,
    ) -> tuple[str | None, Code | None]:
        """The person may take the slot; returns the reasons to keep (see `check_reason`).

        `replacing` is the appointment a rebooking replaces: it does not count against the new slot.
        Call with the person locked (UnitOfWork.lock_person)."""
        rules = FLOW_RULES[flow]
        if rules.citizen_booking and time_type.hidden and time_type.code not in usable_assignments(
            uow, facility, person_id, now
        ):
            raise DomainError(ResultCode.APPOINTMENT_IS_NOT_ALLOWED, PROTECTED_TIME_TYPE)
        if rules.reason_process is not None:
            reason_text, reason_code = check_reason(time_type, rules.reason_process, reason_text, reason_code)
        others = uow.appointments.overlapping_active(facility.hsa_id, person_id, slot.start, slot.end)
        if any(a.id != replacing for a in others):
            # Also refuses the same person twice in one group slot.
            raise DomainError(ResultCode.USER_IS_ALREADY_OCCUPIED)
        days = time_type.limits.once_per_days
        if days is not None:
            # Days on the Swedish wall clock: the same time 30 days later is 30 days, across DST too.
            window, start = timedelta(days=days), to_local(slot.start)
            margin = window + timedelta(days=1)
            near = uow.appointments.list_active(facility.hsa_id, person_id, slot.start - margin, slot.start + margin)
            if any(
                s.time_type_code == time_type.code and a.id != replacing and abs(to_local(s.start) - start) < window
                for a, s in near
            ):
                raise DomainError(rules.over_limit, booked_within(time_type.name, days))
        return reason_text, reason_code

    def open_for_booking(self, slot: Timeslot, time_type: TimeType, now: datetime) -> bool:
        """A search offers the slot only outside the time type's booking notice (and not passed)."""
        return self.open_for_booking_in(lead_time(slot, now), time_type)

    def open_for_booking_in(self, lead: timedelta, time_type: TimeType) -> bool:
        """`open_for_booking` for a slot starting `lead` from now (a search has each slot's lead)."""
        return not too_late_by_lead(lead, time_type.booking_notice)

    def check_move(self, time_type: TimeType) -> None:
        """A rebooking to another unit of the group needs the original's time type to allow it
        (`limits.rebook_to_other_unit`); refused as a rebooking the time type does not allow."""
        if not time_type.limits.rebook_to_other_unit:
            raise DomainError(CHANGE_RULES[Change.UPDATE].not_allowed)

    def check_change(self, change: Change, slot: Timeslot, time_type: TimeType | None, now: datetime) -> TimeType:
        """The appointment in `slot` may still be changed this way; returns its time type.

        None for `time_type`: the clinic removed the time type, so nothing may be changed online."""
        rules = CHANGE_RULES[change]
        if time_type is None or not rules.allowed(time_type):
            raise DomainError(rules.not_allowed)
        if too_late(slot, now, rules.notice(time_type)):
            raise DomainError(rules.too_late)
        return time_type
