"""The declarative clinic configuration file (TOML): parsing, validation and slot generation.

The file describes care services, practitioners, time types (with their per-flow rules), units and
opening hours; `docs/configuration.md` documents every key. Parsing is strict: an unknown key, a
missing required key or a reference to something the file does not define is a ConfigError that
names the place, so a typo never passes silently.
"""

from __future__ import annotations

import builtins
import re
import tomllib
import types
import typing
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from riv_scheduling.domain import (
    SNOMED_CT_OID,
    STOCKHOLM,
    AppointmentRule,
    BookingLimits,
    Code,
    HealthcareFacility,
    HealthcareService,
    Information,
    Practitioner,
    Process,
    ReasonRequired,
    Resource,
    Timeslot,
    TimeType,
)
from riv_scheduling.domain.engagement_index import IndexReporting

# Slot ids are uuid5 of this namespace and "unit|practitioners|time type|start", so generating the
# same opening hours again gives the same ids (the demo data set has always used this namespace).
SLOT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:riv-scheduling:demo")
DEFAULT_HORIZON_DAYS = 28
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


class ConfigError(ValueError):
    """The configuration file is invalid; the message names the place."""


def timeslot_id(unit_hsa_id: str, practitioner_ids: tuple[str, ...], time_type_code: str, start: datetime) -> uuid.UUID:
    """The stable id of a generated slot."""
    who = "+".join(practitioner_ids) or "-"
    return uuid.uuid5(SLOT_NAMESPACE, f"{unit_hsa_id}|{who}|{time_type_code}|{start:%Y%m%d%H%M}")


@dataclass(frozen=True)
class OpeningHours:
    """Slots of one time type at one unit: on `weekdays`, from `start` to `end` (Stockholm wall
    clock), `slot_minutes` long, for `horizon_days` days from the day the file is applied."""

    unit: str
    time_type: str
    weekdays: frozenset[int]
    start: time
    end: time
    slot_minutes: int
    practitioners: tuple[str, ...] = ()
    team: bool = False  # True: every slot has all practitioners; False: one series per practitioner
    capacity: int = 1
    priority: int | None = None
    horizon_days: int = DEFAULT_HORIZON_DAYS
    resources: tuple[Resource, ...] = ()
    alternative_location: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None

    def days(self, today: date) -> Iterator[date]:
        for offset in range(self.horizon_days):
            day = today + timedelta(days=offset)
            if day.weekday() not in self.weekdays:
                continue
            if self.valid_from is not None and day < self.valid_from:
                continue
            if self.valid_until is not None and day > self.valid_until:
                continue
            yield day

    def timeslots(self, today: date, unit_hsa_id: str) -> list[Timeslot]:
        if self.team or not self.practitioners:
            series = [self.practitioners]
        else:
            series = [(p,) for p in self.practitioners]
        step = timedelta(minutes=self.slot_minutes)
        slots: list[Timeslot] = []
        for day in self.days(today):
            for who in series:
                start = datetime.combine(day, self.start, tzinfo=STOCKHOLM)
                stop = datetime.combine(day, self.end, tzinfo=STOCKHOLM)
                while start + step <= stop:
                    slots.append(
                        Timeslot(
                            id=timeslot_id(unit_hsa_id, who, self.time_type, start),
                            facility_hsa_id=unit_hsa_id,
                            time_type_code=self.time_type,
                            start=start,
                            end=start + step,
                            practitioner_ids=who,
                            capacity=self.capacity,
                            priority=self.priority,
                            resources=self.resources,
                            alternative_location=self.alternative_location,
                        )
                    )
                    start += step
        return slots


@dataclass(frozen=True)
class UnitConfig:
    facility: HealthcareFacility
    practitioners: tuple[str, ...]  # HSA-ids linked to the unit (plus those of its opening hours)
    time_types: tuple[str, ...]  # codes of the time types the unit has


@dataclass(frozen=True)
class ClinicConfig:
    services: tuple[HealthcareService, ...] = ()
    practitioners: tuple[Practitioner, ...] = ()
    time_types: Mapping[str, TimeType] = field(default_factory=dict)
    units: tuple[UnitConfig, ...] = ()
    opening_hours: tuple[OpeningHours, ...] = ()
    # [engagement_index]: lower-case unit HSA-id -> how the unit reports to EI (absent: it does not).
    index_reporting: Mapping[str, IndexReporting] = field(default_factory=dict)

    def reporting_of(self, unit_hsa_id: str) -> IndexReporting | None:
        return self.index_reporting.get(unit_hsa_id.lower())

    def unit_practitioners(self, unit: UnitConfig) -> tuple[str, ...]:
        """The unit's own list, then those of its opening hours, without repeats."""
        ids = list(unit.practitioners)
        for hours in self.opening_hours:
            if hours.unit == unit.facility.hsa_id:
                ids.extend(hours.practitioners)
        return tuple(dict.fromkeys(ids))

    def timeslots(self, unit: UnitConfig, today: date) -> list[Timeslot]:
        slots: list[Timeslot] = []
        for hours in self.opening_hours:
            if hours.unit == unit.facility.hsa_id:
                slots.extend(hours.timeslots(today, unit.facility.hsa_id))
        return slots



# -- parsing ---------------------------------------------------------------------------------


class _Table:
    """A TOML table read strictly: every key must be taken, or it is reported as unknown."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a table")
        self.data = data
        self.where = where
        self.taken: set[str] = set()

    def _get(self, key: str, kind: type | tuple[type, ...], required: bool, default: Any = None) -> Any:
        self.taken.add(key)
        if key not in self.data:
            if required:
                raise ConfigError(f"{self.where}: missing key {key!r}")
            return default
        value = self.data[key]
        # TOML booleans are ints in Python: keep them apart.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise ConfigError(f"{self.where}.{key}: expected {_kind(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise ConfigError(f"{self.where}.{key}: expected {_kind(kind)}")
        return value

    def str(self, key: builtins.str, default: builtins.str | None = None, *, required: builtins.bool = False) -> Any:
        value = self._get(key, str, required, default)
        if required and not value.strip():
            raise ConfigError(f"{self.where}.{key}: must not be empty")
        return value

    def int(
        self, key: builtins.str, default: builtins.int | None = None, *, required: builtins.bool = False,
        minimum: builtins.int = 0,
    ) -> Any:
        value = self._get(key, int, required, default)
        if value is not None and value < minimum:
            raise ConfigError(f"{self.where}.{key}: must be at least {minimum}")
        return value

    def bool(self, key: builtins.str, default: builtins.bool | None = None) -> Any:
        return self._get(key, bool, False, default)

    def list(self, key: builtins.str) -> builtins.list[Any]:
        return list(self._get(key, list, False, []))

    def strings(self, key: builtins.str) -> tuple[builtins.str, ...]:
        values = self.list(key)
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise ConfigError(f"{self.where}.{key}: expected a list of non-empty strings")
        return tuple(values)

    def table(self, key: builtins.str) -> _Table | None:
        self.taken.add(key)
        return _Table(self.data[key], f"{self.where}.{key}") if key in self.data else None

    def tables(self, key: builtins.str) -> builtins.list[_Table]:
        return [_Table(v, f"{self.where}.{key}[{i}]") for i, v in enumerate(self.list(key))]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.taken)
        if unknown:
            raise ConfigError(f"{self.where}: unknown key(s) {', '.join(map(repr, unknown))}")


def _kind(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def parse_duration(value: str, where: str) -> timedelta:
    """"0", "30m", "24h", "2d", "1h30m" -> timedelta."""
    text = value.strip().replace(" ", "")
    match = _DURATION.match(text)
    if text == "0":
        return timedelta(0)
    if not text or match is None:
        raise ConfigError(f"{where}: {value!r} is not a duration such as \"30m\", \"24h\", \"2d\" or \"1h30m\"")
    d, h, m = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=d, hours=h, minutes=m)


def _duration(t: _Table, key: str) -> timedelta:
    return parse_duration(t.str(key, "0"), f"{t.where}.{key}")


def _time(t: _Table, key: str) -> time:
    value = t.str(key, required=True)
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{t.where}.{key}: {value!r} is not a time such as \"08:00\"") from None


def _date(t: _Table, key: str) -> date | None:
    t.taken.add(key)
    value = t.data.get(key)
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{t.where}.{key}: expected a date such as 2025-06-30")


def _code(t: _Table | None, default_system: str | None = None) -> Code | None:
    if t is None:
        return None
    system = t.str("code_system", default_system, required=default_system is None)
    code = Code(t.str("code", required=True), system, t.str("display_name"))
    t.done()
    return code


def _infos(t: _Table, key: str) -> tuple[Information, ...]:
    infos = []
    for item in t.tables(key):
        infos.append(Information(item.str("header", required=True), item.str("description"), item.str("link")))
        item.done()
    return tuple(infos)


def _resources(t: _Table) -> tuple[Resource, ...]:
    resources = []
    for item in t.tables("resources"):
        resource = Resource(
            _code(item.table("type_of_resource")),
            _code(item.table("resource_attribute")),
            item.str("description"),
        )
        item.done()
        resources.append(resource)
    return tuple(resources)


def _enum(t: _Table, key: str, enum: Any, default: Any = None) -> Any:
    value = t.str(key, None, required=default is None)
    if value is None:
        return default
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise ConfigError(f"{t.where}.{key}: {value!r} is not one of {allowed}") from None


def _weekdays(t: _Table) -> frozenset[int]:
    t.taken.add("weekdays")
    value = t.data.get("weekdays", "mon-fri")
    items = [value] if isinstance(value, str) else value
    days: set[int] = set()
    for item in items if isinstance(items, list) else [None]:
        if not isinstance(item, str):
            raise ConfigError(f"{t.where}.weekdays: expected \"mon-fri\" or a list such as [\"mon\", \"wed\"]")
        first, _, last = item.strip().lower().partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ConfigError(f"{t.where}.weekdays: {item!r}; use {', '.join(WEEKDAYS)} or a range like mon-fri")
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if b < a:
            raise ConfigError(f"{t.where}.weekdays: {item!r} runs backwards")
        days.update(range(a, b + 1))
    return frozenset(days)


def _service(t: _Table) -> HealthcareService:
    service = HealthcareService(
        Code(t.str("code", required=True), SNOMED_CT_OID, t.str("display_name")),
        information=_infos(t, "information"),
        conditions_to_confirm=_infos(t, "conditions_to_confirm"),
    )
    t.done()
    return service


def _practitioner(t: _Table) -> Practitioner:
    p = Practitioner(
        t.str("hsa_id", required=True).strip(),
        t.str("first_name", required=True),
        t.str("last_name", required=True),
        t.str("title"),
    )
    t.done()
    return p


def _rule(t: _Table) -> AppointmentRule:
    rule = AppointmentRule(
        process=_enum(t, "process", Process),
        reason_text_required=_enum(t, "reason_text_required", ReasonRequired, ReasonRequired.OPTIONAL),
        reason_code_required=_enum(t, "reason_code_required", ReasonRequired, ReasonRequired.OPTIONAL),
        reason_codes=tuple(c for c in (_code(r) for r in t.tables("reason_codes")) if c is not None),
        information=_infos(t, "information"),
        condition_to_confirm=_infos(t, "condition_to_confirm"),
    )
    t.done()
    if rule.reason_code_required is ReasonRequired.MANDATORY and not rule.reason_codes:
        raise ConfigError(f"{t.where}: reason_code_required = \"Mandatory\" needs reason_codes to choose from")
    return rule


def _limits(t: _Table | None) -> BookingLimits:
    """The `limits` table of a time type, read field by field from BookingLimits: every key is a
    field name and takes the field's type, so a new limit needs no change here."""
    if t is None:
        return BookingLimits()
    hints = typing.get_type_hints(BookingLimits)
    known = [f.name for f in fields(BookingLimits)]
    unknown = sorted(set(t.data) - set(known))
    if unknown:
        raise ConfigError(
            f"{t.where}: unknown limit(s) {', '.join(map(repr, unknown))}; known: {', '.join(known) or 'none'}"
        )
    values: dict[str, Any] = {}
    for name in known:
        kind = _scalar_type(hints[name])
        if kind is bool:
            value = t.bool(name)
        elif kind is int:
            value = t.int(name)
        elif kind is str:
            value = t.str(name)
        else:  # a BookingLimits field must be a JSON scalar (see its docstring)
            raise TypeError(f"BookingLimits.{name}: unsupported type {hints[name]!r}")
        if value is not None:
            values[name] = value
    t.done()
    return BookingLimits(**values)


def _scalar_type(hint: Any) -> Any:
    """int for `int` and `int | None` (likewise str, bool)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        kinds = [a for a in typing.get_args(hint) if a is not type(None)]
        return kinds[0] if len(kinds) == 1 else None
    return hint


def _time_type(t: _Table, services: Mapping[str, HealthcareService]) -> TimeType:
    code = t.str("code", required=True).strip()
    service_codes = t.strings("care_services")
    for s in service_codes:
        if s not in services:
            raise ConfigError(f"{t.where}.care_services: {s!r} is not a [[care_service]] of the file")
    try:
        time_type = TimeType(
            code=code,
            name=t.str("name", required=True),
            cancel_allowed=t.bool("cancel_allowed", True),
            update_allowed=t.bool("update_allowed", True),
            booking_notice=_duration(t, "booking_notice"),
            update_notice=_duration(t, "update_notice"),
            cancel_notice=_duration(t, "cancel_notice"),
            hidden=t.bool("hidden", False),
            booking_allowed=t.bool("booking_allowed", True),
            care_contact_code=_code(t.table("care_contact_code")),
            healthcare_services=tuple(services[s] for s in service_codes),
            healthcare_team=t.bool("healthcare_team"),
            patient_group=t.bool("patient_group"),
            appointment_rules=tuple(_rule(r) for r in t.tables("rule")),
            confirm_allowed=t.bool("confirm_allowed", True),
            confirm_notice=_duration(t, "confirm_notice"),
            appointment_information=_infos(t, "appointment_information"),
            video_meeting_url=t.str("video_meeting_url"),
            limits=_limits(t.table("limits")),
        )
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{t.where}: {exc}") from None
    t.done()
    return time_type


def _unit(t: _Table, time_types: Mapping[str, TimeType], practitioners: Mapping[str, Practitioner]) -> UnitConfig:
    facility = HealthcareFacility(
        hsa_id=t.str("hsa_id", required=True).strip(),
        name=t.str("name", required=True),
        alternative_location=t.str("alternative_location"),
        information=_infos(t, "information"),
        condition_to_confirm=_infos(t, "condition_to_confirm"),
        care_guarantee_days=t.int("care_guarantee_days"),
        related_facilities=t.strings("related_units"),
    )
    codes = t.strings("time_types")
    for c in codes:
        if c not in time_types:
            raise ConfigError(f"{t.where}.time_types: {c!r} is not a [[time_type]] of the file")
    staff = t.strings("practitioners")
    for p in staff:
        if p.lower() not in practitioners:
            raise ConfigError(f"{t.where}.practitioners: {p!r} is not a [[practitioner]] of the file")
    t.done()
    return UnitConfig(facility, staff, codes)


def _opening_hours(
    t: _Table,
    units: Mapping[str, UnitConfig],
    time_types: Mapping[str, TimeType],
    practitioners: Mapping[str, Practitioner],
) -> OpeningHours:
    unit_id = t.str("unit", required=True).strip()
    unit = units.get(unit_id.lower())
    if unit is None:
        raise ConfigError(f"{t.where}.unit: {unit_id!r} is not a [[unit]] of the file")
    code = t.str("time_type", required=True)
    if code not in unit.time_types:
        raise ConfigError(f"{t.where}.time_type: {code!r} is not in the time_types of unit {unit_id}")
    staff = t.strings("practitioners")
    for p in staff:
        if p.lower() not in practitioners:
            raise ConfigError(f"{t.where}.practitioners: {p!r} is not a [[practitioner]] of the file")
    hours = OpeningHours(
        unit=unit.facility.hsa_id,
        time_type=code,
        weekdays=_weekdays(t),
        start=_time(t, "from"),
        end=_time(t, "to"),
        slot_minutes=t.int("slot_minutes", required=True, minimum=1),
        practitioners=tuple(practitioners[p.lower()].hsa_id for p in staff),
        team=t.bool("team", False),
        capacity=t.int("capacity", 1, minimum=1),
        priority=t.int("priority", minimum=1),
        horizon_days=t.int("horizon_days", DEFAULT_HORIZON_DAYS, minimum=1),
        resources=_resources(t),
        alternative_location=t.str("alternative_location"),
        valid_from=_date(t, "valid_from"),
        valid_until=_date(t, "valid_until"),
    )
    t.done()
    time_type = time_types[code]
    if hours.end <= hours.start:
        raise ConfigError(f"{t.where}: 'to' must be after 'from'")
    if hours.capacity > 1 and not time_type.patient_group:
        raise ConfigError(f"{t.where}: capacity > 1 needs a time type with patient_group = true ({code})")
    if hours.team and not time_type.healthcare_team:
        raise ConfigError(f"{t.where}: team = true needs a time type with healthcare_team = true ({code})")
    if hours.team and len(hours.practitioners) < 2:
        raise ConfigError(f"{t.where}: team = true needs at least two practitioners")
    return hours


_TOP_LEVEL = ("care_service", "practitioner", "time_type", "unit", "opening_hours", "engagement_index")
_EI_ID_MAX = 64  # the national EI refuses longer sourceSystem and dataController values (EI004)


def _ei_id(t: _Table, key: str) -> str:
    """An HSA-id or organisation number as EI keys it: byte-exact, so no surrounding whitespace."""
    value: str = t.str(key, required=True)
    if value != value.strip() or len(value) > _EI_ID_MAX:
        raise ConfigError(f"{t.where}.{key}: no leading or trailing spaces, at most {_EI_ID_MAX} characters")
    return value


def _engagement_index(t: _Table | None, units: Mapping[str, UnitConfig]) -> dict[str, IndexReporting]:
    """[engagement_index] source_system and [[engagement_index.care_provider]] data_controller, units."""
    if t is None:
        return {}
    source_system = _ei_id(t, "source_system")
    reporting: dict[str, IndexReporting] = {}
    for provider in t.tables("care_provider"):
        controller = _ei_id(provider, "data_controller")
        provider.str("name")  # a label for the reader
        for unit_id in provider.strings("units"):
            key = unit_id.strip().lower()
            if key not in units:
                raise ConfigError(f"{provider.where}.units: {unit_id!r} is not a [[unit]] of the file")
            if key in reporting:
                raise ConfigError(f"{provider.where}.units: unit {unit_id} reports under two care providers")
            reporting[key] = IndexReporting(source_system, controller)
        provider.done()
    t.done()
    return reporting


def _group_units(groups: list[_Table], units: dict[str, UnitConfig]) -> None:
    """`[[unit_group]]`: units that give the same treatment stand in for each other, so each gets
    the others as related units (GetHealthcareFacilities, and rebooking where the time type allows)."""
    for t in groups:
        t.str("name")  # for people only
        members = t.strings("units")
        keys = [m.strip().lower() for m in members]
        if len(keys) < 2 or len(set(keys)) != len(keys):
            raise ConfigError(f"{t.where}.units: two or more different units expected")
        for member, key in zip(members, keys, strict=True):
            if key not in units:
                raise ConfigError(f"{t.where}.units: {member!r} is not a [[unit]] of the file")
        t.done()
        for key in keys:
            unit = units[key]
            known = {h.lower() for h in unit.facility.related_facilities}
            added = tuple(units[k].facility.hsa_id for k in keys if k != key and k not in known)
            related = unit.facility.related_facilities + added
            units[key] = replace(unit, facility=replace(unit.facility, related_facilities=related))


def parse_config(data: Mapping[str, Any], source: str = "config") -> ClinicConfig:
    """Validate a parsed TOML document into a ClinicConfig."""
    root = _Table(dict(data), source)
    services: dict[str, HealthcareService] = {}
    for t in root.tables("care_service"):
        service = _service(t)
        if service.code.code in services:
            raise ConfigError(f"{t.where}: care service {service.code.code} is defined twice")
        services[service.code.code] = service
    practitioners: dict[str, Practitioner] = {}
    for t in root.tables("practitioner"):
        p = _practitioner(t)
        if p.hsa_id.lower() in practitioners:
            raise ConfigError(f"{t.where}: practitioner {p.hsa_id} is defined twice")
        practitioners[p.hsa_id.lower()] = p
    time_types: dict[str, TimeType] = {}
    for t in root.tables("time_type"):
        tt = _time_type(t, services)
        if tt.code in time_types:
            raise ConfigError(f"{t.where}: time type {tt.code} is defined twice")
        time_types[tt.code] = tt
    units: dict[str, UnitConfig] = {}
    for t in root.tables("unit"):
        unit = _unit(t, time_types, practitioners)
        if unit.facility.hsa_id.lower() in units:
            raise ConfigError(f"{t.where}: unit {unit.facility.hsa_id} is defined twice")
        units[unit.facility.hsa_id.lower()] = unit
    _group_units(root.tables("unit_group"), units)
    for unit in units.values():
        for related in unit.facility.related_facilities:
            if related.lower() not in units:
                raise ConfigError(
                    f"unit {unit.facility.hsa_id}: related unit {related!r} is not a [[unit]] of the file"
                )
    hours = tuple(_opening_hours(t, units, time_types, practitioners) for t in root.tables("opening_hours"))
    index_reporting = _engagement_index(root.table("engagement_index"), units)
    root.done()
    config = ClinicConfig(
        services=tuple(services.values()),
        practitioners=tuple(practitioners.values()),
        time_types=time_types,
        units=tuple(units.values()),
        opening_hours=hours,
        index_reporting=index_reporting,
    )
    _check_slot_ids(config)
    return config


def _check_slot_ids(config: ClinicConfig) -> None:
    """Two opening hours generating the same slot are a mistake in the file."""
    today = date(2000, 1, 3)  # any Monday: every weekday pattern shows within the horizon
    for unit in config.units:
        seen: set[uuid.UUID] = set()
        for slot in config.timeslots(unit, today):
            if slot.id in seen:
                raise ConfigError(
                    f"opening hours of unit {unit.facility.hsa_id} give the same {slot.time_type_code} slot "
                    f"({slot.start:%H:%M}) twice"
                )
            seen.add(slot.id)


def load_config(path: str | Path) -> ClinicConfig:
    """Read and validate a clinic configuration file."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path.name)
