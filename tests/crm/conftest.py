"""One producer serving both contract generations (2.0 and riv.crm.scheduling 1.1) from one
SQLite booking book with the demo data, on a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from crmwire import CrmWire

from riv_scheduling.crm_soap import endpoints as crm_endpoints
from riv_scheduling.demo import load_demo
from riv_scheduling.domain import Scheduling
from riv_scheduling.server import make_server
from riv_scheduling.soap.app import Producer
from riv_scheduling.store import open_store


@pytest.fixture(scope="session")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrmWire]:
    db: Path = tmp_path_factory.mktemp("crm") / "producer.db"
    store = open_store(f"sqlite:///{db}")
    store.create_schema()
    load_demo(store)
    scheduling = Scheduling(store.uow)
    server = make_server(Producer(scheduling, adapters=[crm_endpoints]), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield CrmWire(f"http://{host}:{port}", scheduling, store)
    finally:
        server.shutdown()
        server.server_close()
        store.dispose()
