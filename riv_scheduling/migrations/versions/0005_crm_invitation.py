"""open_invitation: riv.crm.scheduling 1.1 open invitations (domain.model.OpenInvitation).

An open invitation (TKB crm:scheduling 1.1 §3.6) has an id the citizen books it by, a purpose text
and, once booked, the appointment it became. The right to book its protected time type is an
`assignment` row made with it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "open_invitation",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("facility_hsa_id", sa.String(64), nullable=False),
        sa.Column("person_root", sa.String(64), nullable=False),
        sa.Column("person_extension", sa.String(32), nullable=False),
        sa.Column("time_type_code", sa.String(64), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("valid_until", sa.Date()),
        sa.Column("appointment_id", sa.String(36), sa.ForeignKey("appointment.id")),
        sa.ForeignKeyConstraint(
            ["facility_hsa_id", "time_type_code"], ["time_type.facility_hsa_id", "time_type.code"]
        ),
    )


def downgrade() -> None:
    op.drop_table("open_invitation")
