"""Engagemangsindex: ei_reporting_unit (which units report, how), ei_post (each appointment's post as
sent) and ei_outbox (EI transactions recorded with the change, sent by `riv-scheduling deliver`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = (
    ("registered_resident_identification", 32),
    ("logical_address", 64),
    ("business_object_instance_identifier", 128),
    ("source_system", 64),
    ("data_controller", 64),
)


# ei_reporting_unit is configuration: its changes raise config_version as 0003's tables' do, so
# workers may cache which units report (store/config_cache.py). Frozen here; tables.py builds the same.
CONFIG_TRIGGERS = {
    "postgresql": (
        "CREATE TRIGGER ei_reporting_unit_bumps_config_version"
        " AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ei_reporting_unit"
        " FOR EACH STATEMENT EXECUTE FUNCTION config_version_bump()",
    ),
    "sqlite": tuple(
        f"""CREATE TRIGGER ei_reporting_unit_{op_.lower()}_bumps_config_version AFTER {op_} ON ei_reporting_unit
BEGIN UPDATE config_version
    SET version = MAX(version + 1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)) WHERE id = 1;
END"""
        for op_ in ("INSERT", "UPDATE", "DELETE")
    ),
}


def _key() -> list[sa.Column[str]]:
    return [sa.Column(name, sa.String(length=length), nullable=False) for name, length in _KEY]


def upgrade() -> None:
    op.create_table(
        "ei_reporting_unit",
        sa.Column("facility_hsa_id", sa.String(length=64), nullable=False),
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("data_controller", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_hsa_id"], ["healthcare_facility.hsa_id"],
            name=op.f("fk_ei_reporting_unit_facility_hsa_id_healthcare_facility"),
        ),
        sa.PrimaryKeyConstraint("facility_hsa_id", name=op.f("pk_ei_reporting_unit")),
    )
    for statement in CONFIG_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    op.create_table(
        "ei_post",
        sa.Column("appointment_id", sa.String(length=36), nullable=False),
        sa.Column("facility_hsa_id", sa.String(length=64), nullable=False),
        *_key(),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("appointment_id", name=op.f("pk_ei_post")),
    )
    op.create_index("ix_ei_post_start", "ei_post", ["start_utc"], unique=False)
    op.create_index("ix_ei_post_facility", "ei_post", ["facility_hsa_id"], unique=False)
    op.create_table(
        "ei_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appointment_id", sa.String(length=36), nullable=False),
        sa.Column("delete_flag", sa.Boolean(), nullable=False),
        *_key(),
        sa.Column("most_recent_content_utc", sa.DateTime(), nullable=True),
        sa.Column("created_utc", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_utc", sa.DateTime(), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("claimed_until_utc", sa.DateTime(), nullable=True),
        sa.Column("parked", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "delete_flag = (most_recent_content_utc IS NULL)", name=op.f("ck_ei_outbox_delete_has_no_content")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ei_outbox")),
    )
    op.create_index("ix_ei_outbox_appointment", "ei_outbox", ["appointment_id", "id"], unique=False)
    op.create_index("ix_ei_outbox_due", "ei_outbox", ["parked", "next_attempt_utc"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ei_outbox_due", table_name="ei_outbox")
    op.drop_index("ix_ei_outbox_appointment", table_name="ei_outbox")
    op.drop_table("ei_outbox")
    op.drop_index("ix_ei_post_facility", table_name="ei_post")
    op.drop_index("ix_ei_post_start", table_name="ei_post")
    op.drop_table("ei_post")
    op.drop_table("ei_reporting_unit")  # and its triggers
