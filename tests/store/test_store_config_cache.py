"""The configuration cache (store/config_cache.py): it saves the reads, and no change is missed,
whether this store, another worker's store or SQL typed by an operator makes it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import event, text
from store_world import DOCTOR, LAKARBESOK, NORR, SSKBESOK, add_slot, at, fixed_clock

from riv_scheduling.domain import ClinicSetup, HealthcareFacility, Scheduling, TimeslotQuery
from riv_scheduling.store import Store, open_store
from riv_scheduling.store.schema import alembic_config
from riv_scheduling.store.tables import CONFIG_TABLES


class Statements:
    """The SQL statements a store sends (an event listener on its real engine)."""

    def __init__(self, store: Store) -> None:
        self.sent: list[str] = []
        event.listen(store.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.sent.append(" ".join(statement.split()).lower())

    def reading(self, table: str) -> list[str]:
        return [s for s in self.sent if s.startswith("select") and f"from {table}" in s]


@pytest.fixture
def other(db_url: str, setup: ClinicSetup) -> Iterator[Store]:
    """A second store on the same database: another worker process, as far as caching goes."""
    store = open_store(db_url)
    yield store
    store.dispose()


def search(store: Store) -> list[object]:
    query = TimeslotQuery(start_date=at(1, 0).date(), end_date=at(7, 0).date())
    return list(Scheduling(store.uow, clock=fixed_clock).search.available_timeslots(NORR, query))


def version(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM config_version")).scalar_one())


def test_a_repeated_search_reads_no_configuration_again(setup: ClinicSetup, other: Store) -> None:
    add_slot(setup, at(1, 10), practitioners=(DOCTOR,))
    sql = Statements(other)  # a store that has read nothing yet
    first = search(other)
    after_first = len(sql.sent)
    second = search(other)
    repeated = sql.sent[after_first:]
    assert first == second and len(first) == 1
    for table in ("time_type", "healthcare_facility", "practitioner"):
        assert sql.reading(table), f"the first search reads {table}"
        assert not [s for s in repeated if f"from {table} " in s + " "], f"the second search reads {table} again"
    assert any("config_version" in s for s in repeated) and any("from timeslot" in s for s in repeated)


def test_changes_by_another_worker_are_seen_at_once(store: Store, setup: ClinicSetup, other: Store) -> None:
    add_slot(setup, at(1, 10), practitioners=(DOCTOR,))
    before = search(store)[0]
    other_setup = ClinicSetup(other.uow, clock=fixed_clock)
    other_setup.add_practitioner(NORR, dataclasses.replace(before.practitioners[0], first_name="Annika"))
    with other.uow().writing() as uow:  # another worker renames the unit and the time type
        facility = uow.facilities.get(NORR)
        assert facility is not None
        uow.facilities.save(dataclasses.replace(facility, name="Vårdcentralen Nytt Namn"))
        uow.time_types.save(NORR, dataclasses.replace(LAKARBESOK, name="Läkartid"))
        uow.practitioners.save(dataclasses.replace(before.practitioners[0], first_name="Annika"))
        uow.commit()
    after = search(store)[0]
    assert before.time_type.name == "Läkarbesök" and after.time_type.name == "Läkartid"
    assert after.practitioners[0].first_name == "Annika"
    with store.uow() as uow:
        facility = uow.facilities.get(NORR)
        assert facility is not None and facility.name == "Vårdcentralen Nytt Namn"


@pytest.mark.parametrize("table", CONFIG_TABLES)
def test_an_sql_change_to_each_configuration_table_raises_the_version(store: Store, setup: ClinicSetup,
                                                                   table: str) -> None:
    changes = {
        "healthcare_facility": "UPDATE healthcare_facility SET name = name || ' (ny)'",
        "time_type": "UPDATE time_type SET name = 'Ändrad'",
        "healthcare_service": "INSERT INTO healthcare_service (code, information, conditions_to_confirm) "
        "VALUES ('1234567', '[]', '[]')",
        "time_type_service": "DELETE FROM time_type_service",
        "practitioner": "UPDATE practitioner SET title = 'Distriktsläkare'",
        "facility_practitioner": "DELETE FROM facility_practitioner",
        "ei_reporting_unit": "INSERT INTO ei_reporting_unit (facility_hsa_id, source_system, data_controller) "
        f"VALUES ('{NORR}', 'SE2321000016-84GX', 'SE232100-0016')",
    }
    assert set(changes) == set(CONFIG_TABLES)
    if table == "time_type_service":  # give it a row to delete
        with store.engine.begin() as conn:
            conn.execute(text(changes["healthcare_service"]))
            conn.execute(text("INSERT INTO time_type_service VALUES (:f, 'SSKBESOK', '1234567', 0)"), {"f": NORR})
    start = version(store)
    with store.engine.begin() as conn:
        conn.execute(text(changes[table]))
    assert version(store) > start


def test_an_operators_sql_change_is_seen_by_the_next_call(store: Store, setup: ClinicSetup) -> None:
    add_slot(setup, at(1, 10))
    add_slot(setup, at(1, 11), code=SSKBESOK.code)
    assert {v.time_type.code for v in search(store)} == {"LAKARBESOK", "SSKBESOK"}
    with store.engine.begin() as conn:  # hide a time type from the public, by hand
        conn.execute(text("UPDATE time_type SET hidden = :t WHERE code = 'SSKBESOK'"), {"t": True})
    assert {v.time_type.code for v in search(store)} == {"LAKARBESOK"}


def test_a_unit_of_work_reads_its_own_configuration_changes(store: Store, setup: ClinicSetup) -> None:
    search(store)  # fill the cache
    with store.uow().writing() as uow:
        assert uow.time_types.get(NORR, "LAKARBESOK") == LAKARBESOK
        uow.time_types.save(NORR, dataclasses.replace(LAKARBESOK, name="Läkartid"))
        changed = uow.time_types.get(NORR, "LAKARBESOK")
        assert changed is not None and changed.name == "Läkartid"
        # not committed: other units of work still see the old name
    with store.uow() as uow:
        unchanged = uow.time_types.get(NORR, "LAKARBESOK")
        assert unchanged is not None and unchanged.name == "Läkarbesök"


def test_without_the_version_row_nothing_is_cached(store: Store, setup: ClinicSetup) -> None:
    add_slot(setup, at(1, 10))
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM config_version"))
    sql = Statements(store)
    search(store)
    search(store)
    assert len(sql.reading("time_type")) == 2



def test_a_database_made_anew_is_never_mistaken_for_the_old_one(store: Store, setup: ClinicSetup) -> None:
    # The same store (one worker) sees its database dropped and set up again with other contents:
    # the counter starts again, but never at a value that stood for the old contents.
    search(store)
    old = version(store)
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    store.create_schema()
    ClinicSetup(store.uow, clock=fixed_clock).add_facility(HealthcareFacility(NORR, "Ny enhet"))
    assert version(store) > old
    with store.uow() as uow:
        facility = uow.facilities.get(NORR)
        assert facility is not None and facility.name == "Ny enhet"
        assert uow.time_types.list(NORR) == []
