"""The riv.crm.scheduling 1.1 scenarios (contracts/crm-scheduling-1.1/: the four 1177 flows and the
invitation flows) pass against our producer, and ``riv-scheduling conformance --contract
crm-scheduling-1.1`` runs them."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from kit_helpers import PERSON, PERSON2, WINDOW

from riv_scheduling.cli import main
from riv_scheduling.conformance.contracts import CRM_SCHEDULING_1_1, scenarios_dir, using
from riv_scheduling.conformance.runner import PASS, Runner, RunOptions, RunResult
from riv_scheduling.conformance.scenario import default_contracts_dir, load
from riv_scheduling.crm_soap import endpoints
from riv_scheduling.demo import load_demo
from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    ClinicSetup,
    PersonId,
    Scheduling,
    TimeslotQuery,
    stockholm_now,
)
from riv_scheduling.server import make_server
from riv_scheduling.soap.app import Producer
from riv_scheduling.store import open_store

UNIT = "SE2321000016-A1B2"
FLOWS = ("new-booking", "show", "rebook", "cancel")


@dataclass
class Running:
    url: str
    setup: ClinicSetup
    scheduling: Scheduling


@pytest.fixture
def crm_producer(tmp_path: Path) -> Iterator[Running]:
    store = open_store(f"sqlite:///{tmp_path / 'crm.db'}")
    store.create_schema()
    load_demo(store)
    scheduling = Scheduling(store.uow)
    server = make_server(Producer(scheduling, adapters=[endpoints]), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Running(f"http://127.0.0.1:{server.server_address[1]}", ClinicSetup(store.uow), scheduling)
    finally:
        server.shutdown()
        server.server_close()
        store.dispose()


def run(running: Running, **options: Any) -> RunResult:
    with using(CRM_SCHEDULING_1_1):
        scenarios = load([scenarios_dir(default_contracts_dir(), CRM_SCHEDULING_1_1)])
        settings: dict[str, Any] = {"person": PERSON, "person2": PERSON2, "time_type": "SSKBESOK", **WINDOW,
                                    **options}
        return Runner(RunOptions(base_url=running.url, logical_address=UNIT, **settings)).run(scenarios)


def explain(result: RunResult) -> str:
    return "\n".join(f"{r.status} {r.name}: {r.message}" for r in result.checks if r.status != PASS)


def test_the_four_1177_flows_pass_against_our_producer(crm_producer: Running) -> None:
    result = run(crm_producer)
    assert result.ok, explain(result)
    ran = {r.scenario for r in result.checks if r.status == PASS}
    assert set(FLOWS) <= ran
    assert all(r.status == PASS for r in result.checks if r.scenario in FLOWS), explain(result)


def test_the_invitation_flows_pass_when_the_clinic_issued_invitations(crm_producer: Running) -> None:
    person = PersonId(PERSONNUMMER_OID, PERSON)
    open_invitation = crm_producer.setup.invite(UNIT, person, "ATERBESOK", "<para>Välkommen på återbesök</para>")
    slot = _free_slot(crm_producer, "SSKBESOK")
    timed = crm_producer.setup.propose_appointment(UNIT, person, slot)
    variables = {"invitation_id": str(open_invitation.id), "timed_invitation_id": str(timed.id)}
    result = run(crm_producer, variables=variables)
    assert result.ok, explain(result)
    for sid in ("open-invitation", "timed-invitation"):
        checks = [r for r in result.checks if r.scenario == sid]
        assert checks and all(r.status == PASS for r in checks), explain(result)


def test_the_command_runs_the_1_1_scenarios(crm_producer: Running, tmp_path: Path) -> None:
    junit = tmp_path / "crm.xml"
    code = main(["conformance", "--contract", "crm-scheduling-1.1", "--url", crm_producer.url,
                 "--logical-address", UNIT, "--person", PERSON, "--person2", PERSON2, "--time-type", "SSKBESOK",
                 "--junit", str(junit), "--quiet"])
    assert code == 0
    text = junit.read_text(encoding="utf-8")
    for flow in FLOWS:
        assert f"{flow}/" in text


def _free_slot(running: Running, time_type: str) -> uuid.UUID:
    today = stockholm_now().date()
    query = TimeslotQuery(start_date=today + timedelta(days=2), end_date=today + timedelta(days=9),
                          time_type_code=time_type)
    return running.scheduling.search.available_timeslots(UNIT, query)[-1].timeslot.id
