"""timeslot: an index for the search by time type, ix_timeslot_facility_type_start.

A search names its time types (GetAvailableTimeslots with timeTypeCode, a rebooking, a healthcare
service's types). With only (facility_hsa_id, start_utc) every slot of every type in the window was
read from the table and most were thrown away; with the type in the index only the wanted ones are.
The (facility_hsa_id, start_utc) index stays for the searches over all types.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_timeslot_facility_type_start", "timeslot", ["facility_hsa_id", "time_type_code", "start_utc"])


def downgrade() -> None:
    op.drop_index("ix_timeslot_facility_type_start", table_name="timeslot")
