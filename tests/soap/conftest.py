"""A real producer on a free port (SQLite file, demo data, a test unit), called with zeep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from soapwire import TEST_UNIT, TIME_TYPES, Slots, Wire

from riv_scheduling.demo import load_demo
from riv_scheduling.domain import ClinicSetup, HealthcareFacility, Practitioner, Scheduling
from riv_scheduling.server import make_server
from riv_scheduling.soap.app import Producer
from riv_scheduling.store import open_store


@pytest.fixture(scope="session")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wire]:
    db: Path = tmp_path_factory.mktemp("db") / "producer.db"
    store = open_store(f"sqlite:///{db}")
    store.create_schema()
    load_demo(store)
    setup = ClinicSetup(store.uow)
    setup.add_facility(HealthcareFacility(TEST_UNIT, "Testmottagningen"))
    for tt in TIME_TYPES:
        setup.add_time_type(TEST_UNIT, tt)
    for hsa in ("SE2321000016-DOC1", "SE2321000016-DOC2"):
        setup.add_practitioner(TEST_UNIT, Practitioner(hsa, "Test", hsa[-4:], "Läkare"))
    scheduling = Scheduling(store.uow)
    server = make_server(Producer(scheduling), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Wire(f"http://{host}:{port}", setup, scheduling, store)
    finally:
        server.shutdown()
        server.server_close()
        store.dispose()


@pytest.fixture
def slots(wire: Wire) -> Slots:
    return Slots(wire.setup)


@pytest.fixture(scope="session")
def rich(wire: Wire):  # noqa: ANN201 - richunit.Rich
    from richunit import configure

    return configure(wire)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """When every test file of tests/soap ran (no -k/-m) and passed, every one of the 19 result
    codes must have been returned by an interaction the contract assigns it to."""
    from soapwire import ASSIGNED_CODES, SEEN_RESULTS

    soap_dir = Path(__file__).parent
    files = {Path(str(i.fspath)).name for i in session.items if Path(str(i.fspath)).parent == soap_dir}
    complete = files == {p.name for p in soap_dir.glob("test_*.py")}
    deselected = session.config.getoption("keyword") or session.config.getoption("markexpr")
    if exitstatus != 0 or deselected or not complete:
        return
    missing = sorted({"OK", "ERROR", "INFO", *ASSIGNED_CODES} - {code for _, code in SEEN_RESULTS})
    if missing:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        _REPORT.append(f"FAILED: result codes no wire test provoked: {', '.join(missing)}")
    else:
        _REPORT.append(f"all 19 result codes provoked over the wire by their interactions "
                       f"({len(SEEN_RESULTS)} interaction/code pairs)")


_REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _REPORT:
        terminalreporter.write_line(f"tests/soap: {line}")
