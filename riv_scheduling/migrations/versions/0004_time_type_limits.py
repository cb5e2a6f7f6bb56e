"""time_type.limits: the time type's booking limits (BookingLimits) as one JSON object.

A new limit is a new key, so it needs no further migration. Existing time types keep NULL, read as
no limits (a JSON server default cannot be compared on PostgreSQL).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("time_type", sa.Column("limits", sa.JSON(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would lose its triggers (0003).
    op.drop_column("time_type", "limits")
