"""Who is signed in: a staff member with a role, and which units they may see and change."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from riv_scheduling.domain import Actor

STAFF_ID_ROOT = "riv-scheduling:admin"  # Actor.id_root of staff in the audit trail (not an identity number)


class Role(enum.StrEnum):
    REGIONAL = "regional"  # every unit
    LOCAL = "local"  # the units named in the account


ROLE_NAMES = {Role.REGIONAL: "Regional administratör", Role.LOCAL: "Lokal administratör"}


@dataclass(frozen=True)
class Staff:
    username: str
    role: Role
    units: tuple[str, ...] = ()  # HSA-ids (for a local administrator)

    def may_see(self, hsa_id: str) -> bool:
        return self.role is Role.REGIONAL or hsa_id.lower() in {u.lower() for u in self.units}

    def may_see_all(self, hsa_ids: Iterable[str]) -> bool:
        return all(self.may_see(h) for h in hsa_ids)

    @property
    def actor(self) -> Actor:
        return Actor(STAFF_ID_ROOT, self.username, f"admin-{self.role.value}")
