"""Engagemangsindex upkeep that no contract call triggers: the sweep of passed bookings, and the
clinic's own change of how a unit reports (both record through index_updates.py)."""

from __future__ import annotations

from .engagement_index import IndexReporting
from .index_updates import reindex_unit, sweep_passed
from .lookup import find_facility
from .use_case import UseCase


class IndexMaintenance(UseCase):
    def sweep_passed(self, limit: int = 1000) -> int:
        """TKB 2.0 §3.5.6: "En bokning anses vara inaktuell när den avbokats, dess starttidpunkt
        passerats (besöket påbörjats)." Deletes the posts of bookings whose start has passed, at most
        `limit` in one transaction; returns how many."""
        with self._uow().writing() as uow:
            swept = sweep_passed(uow, self._now(), limit)
            uow.commit()
        return swept

    def set_reporting(self, facility_hsa_id: str, reporting: IndexReporting | None) -> int:
        """The unit reports to EI as `reporting` from now on (None: it stops); returns the number of
        its posts re-keyed or deleted."""
        with self._uow().writing() as uow:
            facility = find_facility(uow, facility_hsa_id)
            changed = reindex_unit(uow, facility.hsa_id, reporting, self._now())
            uow.commit()
        return changed
