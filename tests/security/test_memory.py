"""Memory stays bounded under attack: every hostile request, three times over, against a producer
in its own process (``riv-scheduling serve``), whose peak resident memory (VmHWM) is measured."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import attacks
from secwire import DEMO_UNIT, Running, envelope, fault_of, request_body, response_of

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")

GROWTH_BOUND_MB = 150  # generous: a 1 MiB body, its parse tree and a validation error log fit many times


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


class Remote(Running):
    def __init__(self, host: str, port: int) -> None:  # noqa: D107 - only what the attacks use
        self.host, self.port = host, port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[str], Remote]]:
    db = tmp_path_factory.mktemp("mem") / "producer.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "riv_scheduling.cli", "--log-level", "WARNING", "serve", "--port", "0",
         "--db", f"sqlite:///{db}", "--request-timeout", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving on http://" in line, line
        host, port = line.rsplit("http://", 1)[1].strip().split(":")
        yield proc, Remote(host, int(port))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def normal(remote: Remote) -> None:
    status, data = remote.post("/GetAppointments/2/rivtabp21",
                               envelope(request_body("GetAppointments"), DEMO_UNIT))
    response_of("GetAppointments", status, data)


def test_peak_memory_stays_bounded_under_every_attack(served: tuple[subprocess.Popen[str], Remote]) -> None:
    proc, remote = served
    for _ in range(5):
        normal(remote)
    before = peak_rss_mb(proc.pid)
    started = time.monotonic()
    for _ in range(3):
        for attack in attacks():
            code, _ = fault_of(*attack.send(remote))
            assert code == attack.code, attack.name
        normal(remote)
    growth = peak_rss_mb(proc.pid) - before
    print(f"peak RSS before {before:.0f} MB, growth {growth:.1f} MB in {time.monotonic() - started:.1f} s")
    assert growth < GROWTH_BOUND_MB, f"peak memory grew by {growth:.0f} MB"
    assert proc.poll() is None, "the producer died"
