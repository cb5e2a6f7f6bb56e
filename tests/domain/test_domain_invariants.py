"""Property: whatever citizens do, every slot's booked count equals its ACTIVE appointments."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from domain_world import CITIZEN, NORR, OTHER, TOLVAN, World
from hypothesis import given, settings
from hypothesis import strategies as st

from riv_scheduling.domain import DomainError, PersonId

PEOPLE = [TOLVAN, OTHER]
ops = st.lists(
    st.tuples(
        st.sampled_from(["make", "update", "cancel"]),
        st.integers(0, 1),  # person
        st.integers(0, 5),  # slot index
        st.integers(0, 20),  # appointment index
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_booked_counts_always_match_active_appointments(steps: list) -> None:
    world = World()
    slots = [world.slot(world.at(2 + i // 3, 10 + i % 3, 0), code="SSKBESOK", capacity=1 + i % 2) for i in range(6)]
    made = []
    for op, who, s, a in steps:
        person: PersonId = PEOPLE[who]
        try:
            if op == "make":
                made.append(world.scheduling.booking.make_appointment(NORR, CITIZEN, person, slots[s].id))
            elif made and op == "update":
                target = made[a % len(made)]
                rebooking = world.scheduling.rebooking
                made.append(rebooking.update_appointment(NORR, CITIZEN, person, target.id, slots[s].id))
            elif made:
                world.scheduling.cancellation.cancel_appointment(NORR, CITIZEN, person, made[a % len(made)].id)
        except DomainError:
            pass
        world.now += timedelta(minutes=1)

    active = Counter(a.timeslot_id for a in world.db.data.appointments.values() if a.is_active)
    for slot in world.db.data.timeslots.values():
        assert slot.booked == active[slot.id] <= slot.capacity
    for person in PEOPLE:  # nobody holds two overlapping active appointments
        mine = [
            world.db.data.timeslots[a.timeslot_id]
            for a in world.db.data.appointments.values()
            if a.is_active and a.person_id == person
        ]
        for i, x in enumerate(mine):
            assert not any(x.overlaps(y.start, y.end) for y in mine[i + 1 :])
