"""The schema (SQLAlchemy Core, portable types).

Datetimes are naive UTC; uuids are 36-character strings; HSA-ids keep their spelling and a
lower-cased `hsa_key` for case-insensitive lookup. Notices are whole seconds.

Lists of value objects that are only ever read with their owner and never searched on
(information texts, conditions, reason codes, resources, references) are JSON columns
(SQLAlchemy's portable JSON type), so a slot search stays one query. Relations that are
filtered on (time type <-> care service) are tables. Appointment rules are JSON on the time type.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
)
from sqlalchemy.types import JSON

HSA = String(64)
UUID36 = String(36)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

def _code_columns(prefix: str) -> list[Column[str]]:
    """A CV code as three columns."""
    return [
        Column(f"{prefix}_code", String(64)),
        Column(f"{prefix}_code_system", String(128)),
        Column(f"{prefix}_display_name", String(255)),
    ]


healthcare_facility = Table(
    "healthcare_facility",
    metadata,
    Column("hsa_id", HSA, primary_key=True),
    Column("hsa_key", HSA, nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("alternative_location", String(255)),
    Column("information", JSON, nullable=False, default=list),
    Column("condition_to_confirm", JSON, nullable=False, default=list),
    Column("care_guarantee_days", Integer),
    Column("related_facilities", JSON, nullable=False, default=list),  # HSA-ids
)

time_type = Table(
    "time_type",
    metadata,
    Column("facility_hsa_id", HSA, ForeignKey("healthcare_facility.hsa_id"), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("cancel_allowed", Boolean, nullable=False),
    Column("update_allowed", Boolean, nullable=False),
    Column("booking_notice_s", Integer, nullable=False),
    Column("update_notice_s", Integer, nullable=False),
    Column("cancel_notice_s", Integer, nullable=False),
    Column("hidden", Boolean, nullable=False),
    Column("booking_allowed", Boolean, nullable=False),
    *_code_columns("care_contact"),
    Column("healthcare_team", Boolean),
    Column("patient_group", Boolean),
    Column("confirm_allowed", Boolean, nullable=False, default=True),
    Column("confirm_notice_s", Integer, nullable=False, default=0),
    Column("appointment_information", JSON, nullable=False, default=list),
    Column("video_meeting_url", String(512)),
    Column("appointment_rules", JSON, nullable=False, default=list),  # TimeTypeRulesType, one per process
    # BookingLimits, field by field (repositories.limits_json): a new limit needs no new column.
    # NULL (rows from before migration 0004) reads as no limits; PostgreSQL cannot compare a JSON
    # server default, so there is none.
    Column("limits", JSON, default=dict),
)

healthcare_service = Table(
    "healthcare_service",
    metadata,
    Column("code", String(64), primary_key=True),  # SNOMED CT (1.2.752.116.2.1.1)
    Column("display_name", String(255)),
    Column("information", JSON, nullable=False, default=list),
    Column("conditions_to_confirm", JSON, nullable=False, default=list),
)

time_type_service = Table(
    "time_type_service",
    metadata,
    Column("facility_hsa_id", HSA, primary_key=True),
    Column("time_type_code", String(64), primary_key=True),
    Column("service_code", String(64), ForeignKey("healthcare_service.code"), primary_key=True),
    Column("position", Integer, nullable=False),
    ForeignKeyConstraint(["facility_hsa_id", "time_type_code"], ["time_type.facility_hsa_id", "time_type.code"]),
)

assignment = Table(
    "assignment",
    metadata,
    Column("facility_hsa_id", HSA, primary_key=True),
    Column("person_root", String(64), primary_key=True),
    Column("person_extension", String(32), primary_key=True),
    Column("time_type_code", String(64), primary_key=True),
    Column("priority", Integer),
    Column("valid_until", Date),  # Swedish date, inclusive
    ForeignKeyConstraint(["facility_hsa_id", "time_type_code"], ["time_type.facility_hsa_id", "time_type.code"]),
)

# An open invitation (riv_scheduling.domain.model.OpenInvitation, migration 0005).
open_invitation = Table(
    "open_invitation",
    metadata,
    Column("id", UUID36, primary_key=True),
    Column("facility_hsa_id", HSA, nullable=False),
    Column("person_root", String(64), nullable=False),
    Column("person_extension", String(32), nullable=False),
    Column("time_type_code", String(64), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("valid_until", Date),  # Swedish date, inclusive
    Column("appointment_id", UUID36, ForeignKey("appointment.id")),
    ForeignKeyConstraint(["facility_hsa_id", "time_type_code"], ["time_type.facility_hsa_id", "time_type.code"]),
)

practitioner = Table(
    "practitioner",
    metadata,
    Column("hsa_id", HSA, primary_key=True),
    Column("hsa_key", HSA, nullable=False, unique=True),
    Column("first_name", String(255), nullable=False),
    Column("last_name", String(255), nullable=False),
    Column("title", String(255)),
)

facility_practitioner = Table(
    "facility_practitioner",
    metadata,
    Column("facility_hsa_id", HSA, ForeignKey("healthcare_facility.hsa_id"), primary_key=True),
    Column("practitioner_hsa_id", HSA, ForeignKey("practitioner.hsa_id"), primary_key=True),
)

timeslot = Table(
    "timeslot",
    metadata,
    Column("id", UUID36, primary_key=True),
    Column("facility_hsa_id", HSA, nullable=False),
    Column("time_type_code", String(64), nullable=False),
    Column("start_utc", DateTime, nullable=False),
    Column("end_utc", DateTime, nullable=False),
    Column("capacity", Integer, nullable=False, default=1),
    Column("booked", Integer, nullable=False, default=0),
    Column("withdrawn", Boolean, nullable=False, default=False),
    Column("priority", Integer),  # 1 = most urgent; NULL = offered to everybody
    Column("resources", JSON, nullable=False, default=list),
    Column("alternative_location", String(255)),
    ForeignKeyConstraint(["facility_hsa_id", "time_type_code"], ["time_type.facility_hsa_id", "time_type.code"]),
    # Belt and braces: the conditional UPDATE in the store is the primary guard.
    CheckConstraint("capacity >= 1", name="capacity"),
    CheckConstraint("booked >= 0 AND booked <= capacity", name="booked"),
    CheckConstraint("end_utc > start_utc", name="period"),
    Index("ix_timeslot_facility_start", "facility_hsa_id", "start_utc"),
    # A search by time type reads only that type's slots (migration 0007).
    Index("ix_timeslot_facility_type_start", "facility_hsa_id", "time_type_code", "start_utc"),
)

timeslot_practitioner = Table(
    "timeslot_practitioner",
    metadata,
    Column("timeslot_id", UUID36, ForeignKey("timeslot.id"), primary_key=True),
    Column("practitioner_hsa_id", HSA, ForeignKey("practitioner.hsa_id"), primary_key=True),
    Column("position", Integer, nullable=False),
)


appointment = Table(
    "appointment",
    metadata,
    Column("id", UUID36, primary_key=True),
    Column("timeslot_id", UUID36, ForeignKey("timeslot.id"), nullable=False),
    Column("facility_hsa_id", HSA, ForeignKey("healthcare_facility.hsa_id"), nullable=False),
    Column("person_root", String(64), nullable=False),
    Column("person_extension", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("new_reason_text", Text),
    *_code_columns("new_reason"),
    Column("update_reason_text", Text),
    *_code_columns("update_reason"),
    Column("cancel_reason_text", Text),
    *_code_columns("cancel_reason"),
    Column("replaces", UUID36, ForeignKey("appointment.id")),
    Column("replaced_by", UUID36, ForeignKey("appointment.id")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("information", JSON, nullable=False, default=list),
    Column("alternative_location", String(255)),
    Column("references", JSON, nullable=False, default=list),
    Column("related_appointment_ids", JSON, nullable=False, default=list),
    Index("ix_appointment_person", "person_extension", "facility_hsa_id", "state"),
    Index("ix_appointment_timeslot", "timeslot_id"),
)


# The audit trail (riv_scheduling.domain.audit): append-only. No foreign keys: a refusal may name
# an appointment or slot that does not exist, and an event must outlive anything it names.
audit_event = Table(
    "audit_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # order of appending
    Column("at_utc", DateTime, nullable=False),
    Column("interaction", String(40), nullable=False),
    Column("action", String(16), nullable=False),
    Column("result_code", String(40), nullable=False),
    Column("facility_hsa_id", HSA, nullable=False),
    Column("person_root", String(64)),
    Column("person_extension", String(64)),
    Column("actor_root", String(64)),
    Column("actor_extension", String(64)),
    Column("actor_type", String(64)),
    Column("consumer_hsa_id", HSA),
    Column("appointment_id", UUID36),
    Column("new_appointment_id", UUID36),
    Column("timeslot_id", UUID36),
    Column("detail", Text),
    Index("ix_audit_event_person", "person_extension", "person_root"),
    Index("ix_audit_event_appointment", "appointment_id"),
    Index("ix_audit_event_new_appointment", "new_appointment_id"),
)

# The database itself refuses to change or remove an audit event. The same statements are in the
# migration that creates the table (riv_scheduling/migrations/versions/0002_audit_event.py).
APPEND_ONLY_POSTGRESQL = (
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit_event is append-only: ' || TG_OP || ' refused';
END
$$""",
    """CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
)
APPEND_ONLY_SQLITE = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END""",
)

for _statement in APPEND_ONLY_POSTGRESQL:
    event.listen(audit_event, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in APPEND_ONLY_SQLITE:
    event.listen(audit_event, "after_create", DDL(_statement).execute_if(dialect="sqlite"))


# Engagemangsindex (riv_scheduling.domain.engagement_index; migration 0005). Which units report and how
# (from the clinic file), the post each appointment has in EI (the key exactly as sent, so a delete
# repeats it byte for byte), and the outbox the deliverer sends from, in `id` order per appointment.
ei_reporting_unit = Table(
    "ei_reporting_unit",
    metadata,
    Column("facility_hsa_id", HSA, ForeignKey("healthcare_facility.hsa_id"), primary_key=True),
    Column("source_system", HSA, nullable=False),
    Column("data_controller", HSA, nullable=False),
)

_EI_KEY = (
    ("registered_resident_identification", 32),
    ("logical_address", 64),
    ("business_object_instance_identifier", 128),
    ("source_system", 64),
    ("data_controller", 64),
)

ei_post = Table(
    "ei_post",
    metadata,
    Column("appointment_id", UUID36, primary_key=True),
    Column("facility_hsa_id", HSA, nullable=False),
    *(Column(name, String(length), nullable=False) for name, length in _EI_KEY),
    Column("start_utc", DateTime, nullable=False),
    Index("ix_ei_post_start", "start_utc"),
    Index("ix_ei_post_facility", "facility_hsa_id"),
)

ei_outbox = Table(
    "ei_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # order of recording
    Column("appointment_id", UUID36, nullable=False),
    Column("delete_flag", Boolean, nullable=False),
    *(Column(name, String(length), nullable=False) for name, length in _EI_KEY),
    Column("most_recent_content_utc", DateTime),  # NULL exactly for a delete
    Column("created_utc", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_utc", DateTime, nullable=False),
    Column("claim_token", String(36)),  # the deliverer sending it, until claimed_until
    Column("claimed_until_utc", DateTime),
    Column("parked", Boolean, nullable=False, default=False),
    Column("last_error", Text),
    CheckConstraint("delete_flag = (most_recent_content_utc IS NULL)", name="delete_has_no_content"),
    Index("ix_ei_outbox_appointment", "appointment_id", "id"),
    Index("ix_ei_outbox_due", "parked", "next_attempt_utc"),
)


# The configuration's version: one row, raised by triggers in the transaction of any change to
# the configuration tables, so every worker knows when what it cached is out of date
# (store/config_cache.py). A new value is at least the time in microseconds, so it never repeats
# one a worker saw before, even after a restore from backup or a recreated database (0: nothing
# configured yet). The same statements are in migration 0003.
config_version = Table(
    "config_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)
CONFIG_TABLES = (
    "healthcare_facility",
    "time_type",
    "healthcare_service",
    "time_type_service",
    "practitioner",
    "facility_practitioner",
    "ei_reporting_unit",  # migration 0005
)
CONFIG_VERSION_POSTGRESQL = (
    "INSERT INTO config_version (id, version) VALUES (1, 0)",
    """CREATE FUNCTION config_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_version
    SET version = GREATEST(version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    WHERE id = 1;
    RETURN NULL;
END
$$""",
    *(
        f"""CREATE TRIGGER {table}_bumps_config_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION config_version_bump()"""
        for table in CONFIG_TABLES
    ),
)
CONFIG_VERSION_SQLITE = (
    "INSERT INTO config_version (id, version) VALUES (1, 0)",
    *(
        f"""CREATE TRIGGER {table}_{op.lower()}_bumps_config_version AFTER {op} ON {table}
BEGIN UPDATE config_version
    SET version = MAX(version + 1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)) WHERE id = 1;
END"""
        for table in CONFIG_TABLES
        for op in ("INSERT", "UPDATE", "DELETE")
    ),
)

# After all tables exist (the triggers name several).
for _statement in CONFIG_VERSION_POSTGRESQL:
    event.listen(metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in CONFIG_VERSION_SQLITE:
    event.listen(metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
