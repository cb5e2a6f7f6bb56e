"""Recording Engagemangsindex changes through a unit of work (the rules are in engagement_index.py).

Every use case that changes an appointment calls `record_index_change` in its own unit of work,
after the change and before the commit; a refused request raises before it, so it records nothing.
`sweep_passed` turns posts whose start has passed into deletes (TKB 2.0 §3.5.6); `reindex_unit`
follows the clinic's own change of how a unit reports (§3.5.9: a changed key is a delete and an add).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .engagement_index import EngagementPost, IndexReporting, transactions, wanted_post
from .model import Appointment, Timeslot
from .ports import UnitOfWork


def record_index_change(
    uow: UnitOfWork, appointment: Appointment, slot: Timeslot, now: datetime, *, touched: bool = True,
    new: bool = False,
) -> None:
    """Record what the appointment's change means for its EI post (nothing when nothing changes).
    `new`: the appointment was created in this unit of work, so it has no post yet (one query less)."""
    index = uow.engagement_index
    held = None if new else index.post(appointment.id)
    wanted = wanted_post(appointment, slot, index.reporting(appointment.facility_hsa_id), now)
    if held is None and wanted is None:
        return
    found = transactions(held, wanted, now, touched=touched)
    if found or held != wanted:
        index.record(appointment.id, found, wanted, new=new)


def sweep_passed(uow: UnitOfWork, now: datetime, limit: int = 1000) -> int:
    """Delete the posts of bookings whose start has passed; returns how many (at most `limit`)."""
    index = uow.engagement_index
    passed = index.passed(now, limit)
    for post in passed:
        index.record(post.appointment_id, transactions(post, None, now), None)
    return len(passed)


def reindex_unit(uow: UnitOfWork, facility_hsa_id: str, reporting: IndexReporting | None, now: datetime) -> int:
    """The unit now reports as `reporting` (None: not at all): its existing posts are re-keyed
    (delete and add) or deleted. Returns the number of posts changed. Bookings made before the unit
    reported are not added: EI needs no initial load (TKB 2.0 §3.5.11)."""
    index = uow.engagement_index
    index.set_reporting(facility_hsa_id, reporting)
    changed = 0
    for post in index.posts_of(facility_hsa_id):
        wanted: EngagementPost | None = None
        if reporting is not None:
            key = replace(post.key, source_system=reporting.source_system, data_controller=reporting.data_controller)
            wanted = EngagementPost(post.appointment_id, post.facility_hsa_id, key, post.start)
        if wanted != post:
            index.record(post.appointment_id, transactions(post, wanted, now), wanted)
            changed += 1
    return changed
