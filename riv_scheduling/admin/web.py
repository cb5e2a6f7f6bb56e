"""What the pages share: the signed-in staff member, the store, and the unit checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g

from riv_scheduling.domain import HealthcareFacility, UnitOfWork

from .staff import Staff

NOT_YOUR_UNIT = "Du har inte behörighet till den här enheten."


def staff() -> Staff:
    s: Staff = g.staff
    return s


def uow_factory() -> Callable[[], UnitOfWork]:
    factory: Callable[[], UnitOfWork] = current_app.extensions["riv"]["uow"]
    return factory


def extension(name: str) -> Any:
    return current_app.extensions["riv"][name]


def facilities() -> list[HealthcareFacility]:
    """The units the staff member may see."""
    with uow_factory()() as uow:
        return [f for f in sorted(uow.facilities.list(), key=lambda f: f.hsa_id) if staff().may_see(f.hsa_id)]


def unit(hsa_id: str) -> HealthcareFacility:
    """The unit, or 403 when it is not the staff member's (checked before looking it up, so the
    answer does not tell whether another unit exists), or 404."""
    if not staff().may_see(hsa_id):
        abort(403, NOT_YOUR_UNIT)
    with uow_factory()() as uow:
        facility = uow.facilities.get(hsa_id)
    if facility is None:
        abort(404, f"Enheten {hsa_id} finns inte.")
    return facility
