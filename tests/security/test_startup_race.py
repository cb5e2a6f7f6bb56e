"""Issue #11, item 1: a freshly started producer answers simultaneous first requests across all
interactions without a fault (libxml2 raced on concurrent first schema compiles and left the
single-process server answering HTTP 500 to everything until restart).

Each start is a new ``riv-scheduling serve`` process (libxml2's global state is per process) on a
copy of one prepared database; 16 requests, spread over every served interaction, are released
together by a barrier as its very first requests. ``RIV_RACE_STARTS`` (default 20) sets the count.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from secwire import DEMO_UNIT, SERVED, Running, envelope, request_body, world

from riv_scheduling.contract import INTERACTIONS

STARTS = int(os.environ.get("RIV_RACE_STARTS", "20"))
REQUESTS = 16
AT_ONCE = 2  # fresh processes started side by side


class Remote(Running):
    def __init__(self, host: str, port: int) -> None:  # noqa: D107 - only what post() uses
        self.host, self.port = host, port


def one_start(template: Path, folder: Path) -> list[str]:
    """Start a fresh producer, fire the first 16 requests at once; the problems seen."""
    folder.mkdir()
    db = folder / "p.db"
    shutil.copy(template, db)
    proc = subprocess.Popen(
        [sys.executable, "-m", "riv_scheduling.cli", "--log-level", "WARNING", "serve", "--port", "0",
         "--db", f"sqlite:///{db}", "--no-demo"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    problems: list[str] = []
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving on http://" in line, line + (proc.stderr.read() if proc.stderr else "")
        host, port = line.split()[-1].removeprefix("http://").split(":")
        remote = Remote(host, int(port))
        names = [SERVED[i % len(SERVED)] for i in range(REQUESTS)]
        barrier = threading.Barrier(REQUESTS)

        def first(name: str) -> None:
            data = envelope(request_body(name), DEMO_UNIT)
            barrier.wait(timeout=30)
            status, answer = remote.post(INTERACTIONS[name].path, data)
            if status != 200:
                problems.append(f"{name}: HTTP {status}: {answer[:300]!r}")

        threads = [threading.Thread(target=first, args=(name,)) for name in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    if problems and err:
        problems.append("server log: " + err[-2000:])
    return problems


def test_fresh_servers_answer_concurrent_first_requests_without_a_fault(tmp_path: Path) -> None:
    assert len(SERVED) == 12 and REQUESTS >= len(SERVED)
    template = tmp_path / "template.db"
    store, _, _ = world(template)
    store.dispose()
    with ThreadPoolExecutor(AT_ONCE) as pool:
        results = list(pool.map(lambda i: one_start(template, tmp_path / f"start{i}"), range(STARTS)))
    broken = [(i, p) for i, p in enumerate(results) if p]
    assert not broken, f"{len(broken)} of {STARTS} starts answered with faults; the first: {broken[0]}"


if __name__ == "__main__":  # pragma: no cover - quick manual runs
    sys.exit(pytest.main([__file__, "-q"]))
