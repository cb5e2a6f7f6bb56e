"""Initial schema: the tables as `metadata` had them before migrations existed.

Databases that `create_schema()` made before then are stamped with this revision by
`riv-scheduling db upgrade` and then migrated on.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "healthcare_facility",
        sa.Column("hsa_id", sa.String(length=64), nullable=False),
        sa.Column("hsa_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("alternative_location", sa.String(length=255), nullable=True),
        sa.Column("information", sa.JSON(), nullable=False),
        sa.Column("condition_to_confirm", sa.JSON(), nullable=False),
        sa.Column("care_guarantee_days", sa.Integer(), nullable=True),
        sa.Column("related_facilities", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("hsa_id", name=op.f("pk_healthcare_facility")),
        sa.UniqueConstraint("hsa_key", name=op.f("uq_healthcare_facility_hsa_key")),
    )
    op.create_table(
        "healthcare_service",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("information", sa.JSON(), nullable=False),
        sa.Column("conditions_to_confirm", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_healthcare_service")),
    )
    op.create_table(
        "practitioner",
        sa.Column("hsa_id", sa.String(length=64), nullable=False),
        sa.Column("hsa_key", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("hsa_id", name=op.f("pk_practitioner")),
        sa.UniqueConstraint("hsa_key", name=op.f("uq_practitioner_hsa_key")),
    )
    op.create_table(
        "facility_practitioner",
        sa.Column("facility_hsa_id", sa.String(length=64), nullable=False),
        sa.Column("practitioner_hsa_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_hsa_id"],
            ["healthcare_facility.hsa_id"],
            name=op.f("fk_facility_practitioner_facility_hsa_id_healthcare_facility"),
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_hsa_id"],
            ["practitioner.hsa_id"],
            name=op.f("fk_facility_practitioner_practitioner_hsa_id_practitioner"),
        ),
        sa.PrimaryKeyConstraint("facility_hsa_id", "practitioner_hsa_id", name=op.f("pk_facility_practitioner")),
    )
    op.create_table(
        "time_type",
        sa.Column("facility_hsa_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("cancel_allowed", sa.Boolean(), nullable=False),
        sa.Column("update_allowed", sa.Boolean(), nullable=False),
        sa.Column("booking_notice_s", sa.Integer(), nullable=False),
        sa.Column("update_notice_s", sa.Integer(), nullable=False),
        sa.Column("cancel_notice_s", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("booking_allowed", sa.Boolean(), nullable=False),
        sa.Column("care_contact_code", sa.String(length=64), nullable=True),
        sa.Column("care_contact_code_system", sa.String(length=128), nullable=True),
        sa.Column("care_contact_display_name", sa.String(length=255), nullable=True),
        sa.Column("healthcare_team", sa.Boolean(), nullable=True),
        sa.Column("patient_group", sa.Boolean(), nullable=True),
        sa.Column("confirm_allowed", sa.Boolean(), nullable=False),
        sa.Column("confirm_notice_s", sa.Integer(), nullable=False),
        sa.Column("appointment_information", sa.JSON(), nullable=False),
        sa.Column("video_meeting_url", sa.String(length=512), nullable=True),
        sa.Column("appointment_rules", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_hsa_id"],
            ["healthcare_facility.hsa_id"],
            name=op.f("fk_time_type_facility_hsa_id_healthcare_facility"),
        ),
        sa.PrimaryKeyConstraint("facility_hsa_id", "code", name=op.f("pk_time_type")),
    )
    op.create_table(
        "assignment",
        sa.Column("facility_hsa_id", sa.String(length=64), nullable=False),
        sa.Column("person_root", sa.String(length=64), nullable=False),
        sa.Column("person_extension", sa.String(length=32), nullable=False),
        sa.Column("time_type_code", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_hsa_id", "time_type_code"],
            ["time_type.facility_hsa_id", "time_type.code"],
            name=op.f("fk_assignment_facility_hsa_id_time_type"),
        ),
        sa.PrimaryKeyConstraint(
            "facility_hsa_id", "person_root", "person_extension", "time_type_code", name=op.f("pk_assignment")
        ),
    )
    op.create_table(
        "time_type_service",
        sa.Column("facility_hsa_id", sa.String(length=64), nullable=False),
        sa.Column("time_type_code", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_hsa_id", "time_type_code"],
            ["time_type.facility_hsa_id", "time_type.code"],
            name=op.f("fk_time_type_service_facility_hsa_id_time_type"),
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["healthcare_service.code"],
            name=op.f("fk_time_type_service_service_code_healthcare_service"),
        ),
        sa.PrimaryKeyConstraint("facility_hsa_id", "time_type_code", "service_code", name=op.f("pk_time_type_service")),
    )
    op.create_table(
        "timeslot",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("facility_hsa_id", sa.String(length=64), nullable=False),
        sa.Column("time_type_code", sa.String(length=64), nullable=False),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.Column("end_utc", sa.DateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("alternative_location", sa.String(length=255), nullable=True),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name=op.f("ck_timeslot_booked")),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_timeslot_capacity")),
        sa.CheckConstraint("end_utc > start_utc", name=op.f("ck_timeslot_period")),
        sa.ForeignKeyConstraint(
            ["facility_hsa_id", "time_type_code"],
            ["time_type.facility_hsa_id", "time_type.code"],
            name=op.f("fk_timeslot_facility_hsa_id_time_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeslot")),
    )
    op.create_index("ix_timeslot_facility_start", "timeslot", ["facility_hsa_id", "start_utc"], unique=False)

    op.create_table(
        "appointment",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("timeslot_id", sa.String(length=36), nullable=False),
        sa.Column("facility_hsa_id", sa.String(length=64), nullable=False),
        sa.Column("person_root", sa.String(length=64), nullable=False),
        sa.Column("person_extension", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("new_reason_text", sa.Text(), nullable=True),
        sa.Column("new_reason_code", sa.String(length=64), nullable=True),
        sa.Column("new_reason_code_system", sa.String(length=128), nullable=True),
        sa.Column("new_reason_display_name", sa.String(length=255), nullable=True),
        sa.Column("update_reason_text", sa.Text(), nullable=True),
        sa.Column("update_reason_code", sa.String(length=64), nullable=True),
        sa.Column("update_reason_code_system", sa.String(length=128), nullable=True),
        sa.Column("update_reason_display_name", sa.String(length=255), nullable=True),
        sa.Column("cancel_reason_text", sa.Text(), nullable=True),
        sa.Column("cancel_reason_code", sa.String(length=64), nullable=True),
        sa.Column("cancel_reason_code_system", sa.String(length=128), nullable=True),
        sa.Column("cancel_reason_display_name", sa.String(length=255), nullable=True),
        sa.Column("replaces", sa.String(length=36), nullable=True),
        sa.Column("replaced_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("information", sa.JSON(), nullable=False),
        sa.Column("alternative_location", sa.String(length=255), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("related_appointment_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_hsa_id"],
            ["healthcare_facility.hsa_id"],
            name=op.f("fk_appointment_facility_hsa_id_healthcare_facility"),
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by"], ["appointment.id"], name=op.f("fk_appointment_replaced_by_appointment")
        ),
        sa.ForeignKeyConstraint(["replaces"], ["appointment.id"], name=op.f("fk_appointment_replaces_appointment")),
        sa.ForeignKeyConstraint(["timeslot_id"], ["timeslot.id"], name=op.f("fk_appointment_timeslot_id_timeslot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    op.create_index(
        "ix_appointment_person", "appointment", ["person_extension", "facility_hsa_id", "state"], unique=False
    )
    op.create_index("ix_appointment_timeslot", "appointment", ["timeslot_id"], unique=False)

    op.create_table(
        "timeslot_practitioner",
        sa.Column("timeslot_id", sa.String(length=36), nullable=False),
        sa.Column("practitioner_hsa_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practitioner_hsa_id"],
            ["practitioner.hsa_id"],
            name=op.f("fk_timeslot_practitioner_practitioner_hsa_id_practitioner"),
        ),
        sa.ForeignKeyConstraint(
            ["timeslot_id"], ["timeslot.id"], name=op.f("fk_timeslot_practitioner_timeslot_id_timeslot")
        ),
        sa.PrimaryKeyConstraint("timeslot_id", "practitioner_hsa_id", name=op.f("pk_timeslot_practitioner")),
    )


def downgrade() -> None:
    for index, table in (
        ("ix_appointment_timeslot", "appointment"),
        ("ix_appointment_person", "appointment"),
        ("ix_timeslot_facility_start", "timeslot"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "timeslot_practitioner",
        "appointment",
        "timeslot",
        "time_type_service",
        "assignment",
        "time_type",
        "facility_practitioner",
        "practitioner",
        "healthcare_service",
        "healthcare_facility",
    ):
        op.drop_table(table)
