"""EngagementIndexRepository (domain/ports.py) over one connection: which units report, each
appointment's post, and appending to the outbox in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from riv_scheduling.domain.engagement_index import (
    EngagementKey,
    EngagementPost,
    EngagementTransaction,
    IndexReporting,
)

from .config_cache import ConfigReads
from .driver import DriverStatement
from .repositories import from_db, to_db
from .tables import ei_outbox, ei_post, ei_reporting_unit

# Built once (a booking writes the outbox and the post): no statement building per call; the inserts
# every booking makes run on the DB-API cursor (driver.py).
_UNSET = ("id", "claim_token", "claimed_until_utc", "last_error")  # the deliverer's to set
_INSERT_OUTBOX = DriverStatement(insert(ei_outbox), [c.key for c in ei_outbox.columns if c.key not in _UNSET])
_INSERT_POST = DriverStatement(insert(ei_post), [c.key for c in ei_post.columns])
_UPDATE_POST = update(ei_post).where(ei_post.c.appointment_id == bindparam("held"))
_DELETE_POST = delete(ei_post).where(ei_post.c.appointment_id == bindparam("held"))
_POST = select(ei_post).where(ei_post.c.appointment_id == bindparam("held"))

KEY_COLUMNS = (
    "registered_resident_identification",
    "logical_address",
    "business_object_instance_identifier",
    "source_system",
    "data_controller",
)


def key_values(key: EngagementKey) -> dict[str, str]:
    return {name: getattr(key, name) for name in KEY_COLUMNS}


def key_of(row: Row[Any]) -> EngagementKey:
    m = row._mapping
    return EngagementKey(**{name: m[name] for name in KEY_COLUMNS})


class EngagementIndexRepo:
    def __init__(self, conn: Connection, config: ConfigReads) -> None:
        self._conn = conn
        self._config = config  # which units report is configuration: cached (config_cache.py)

    def reporting(self, facility_hsa_id: str) -> IndexReporting | None:
        return self._config.read(("ei_reporting", facility_hsa_id), lambda: self._reporting(facility_hsa_id))

    def _reporting(self, facility_hsa_id: str) -> IndexReporting | None:
        row = self._conn.execute(
            select(ei_reporting_unit.c.source_system, ei_reporting_unit.c.data_controller).where(
                ei_reporting_unit.c.facility_hsa_id == facility_hsa_id
            )
        ).first()
        return IndexReporting(row.source_system, row.data_controller) if row is not None else None

    def set_reporting(self, facility_hsa_id: str, reporting: IndexReporting | None) -> None:
        self._config.changed()
        self._conn.execute(delete(ei_reporting_unit).where(ei_reporting_unit.c.facility_hsa_id == facility_hsa_id))
        if reporting is not None:
            self._conn.execute(
                insert(ei_reporting_unit).values(
                    facility_hsa_id=facility_hsa_id,
                    source_system=reporting.source_system,
                    data_controller=reporting.data_controller,
                )
            )

    @staticmethod
    def _post(row: Row[Any]) -> EngagementPost:
        return EngagementPost(uuid.UUID(row.appointment_id), row.facility_hsa_id, key_of(row), from_db(row.start_utc))

    def post(self, appointment_id: uuid.UUID) -> EngagementPost | None:
        row = self._conn.execute(_POST, {"held": str(appointment_id)}).first()
        return self._post(row) if row is not None else None

    def posts_of(self, facility_hsa_id: str) -> list[EngagementPost]:
        q = select(ei_post).where(ei_post.c.facility_hsa_id == facility_hsa_id).order_by(ei_post.c.start_utc)
        return [self._post(r) for r in self._conn.execute(q)]

    def passed(self, now: datetime, limit: int) -> list[EngagementPost]:
        q = select(ei_post).where(ei_post.c.start_utc <= to_db(now)).order_by(ei_post.c.start_utc).limit(limit)
        return [self._post(r) for r in self._conn.execute(q)]

    @staticmethod
    def _outbox_row(t: EngagementTransaction) -> dict[str, Any]:
        now = to_db(datetime.now(UTC))
        return {
            "appointment_id": str(t.appointment_id),
            "delete_flag": t.delete_flag,
            **key_values(t.key),
            "most_recent_content_utc": to_db(t.most_recent_content) if t.most_recent_content else None,
            "created_utc": now,
            "attempts": 0,
            "next_attempt_utc": now,
            "parked": False,
        }

    @staticmethod
    def _post_row(appointment_id: uuid.UUID, post: EngagementPost) -> dict[str, Any]:
        return {
            "appointment_id": str(appointment_id), "facility_hsa_id": post.facility_hsa_id,
            **key_values(post.key), "start_utc": to_db(post.start),
        }

    def record(
        self,
        appointment_id: uuid.UUID,
        transactions: Sequence[EngagementTransaction],
        post: EngagementPost | None,
        new: bool = False,
    ) -> None:
        rows = [self._outbox_row(t) for t in transactions]
        if rows:
            _INSERT_OUTBOX.execute(self._conn, *rows)
        if post is None:
            if not new:
                self._conn.execute(_DELETE_POST, {"held": str(appointment_id)})
            return
        row = self._post_row(appointment_id, post)
        if new:
            _INSERT_POST.execute(self._conn, row)
            return
        held = row.pop("appointment_id")
        if self._conn.execute(_UPDATE_POST, {"held": held, **row}).rowcount == 0:
            _INSERT_POST.execute(self._conn, {"appointment_id": held, **row})
