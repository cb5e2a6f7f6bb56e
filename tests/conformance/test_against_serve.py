"""The kit against ``riv-scheduling serve`` on the demo data, as a region would run it: two processes,
the command lines, the default search window. Zero failures, zero blocked, under 30 s, and an HTML
report under 1 MB."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from kit_helpers import UNIT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(url: str, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "riv-scheduling serve exited"
        try:
            with urllib.request.urlopen(f"{url}/GetAppointments/2/rivtabp21?wsdl", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_the_kit_passes_against_serve_on_the_demo_data(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "riv_scheduling.cli", "serve", "--port", str(port), "--db",
         f"sqlite:///{tmp_path / 'demo.db'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )
    try:
        wait_until_serving(url, server)
        page, junit = tmp_path / "demo.html", tmp_path / "demo.xml"
        started = time.monotonic()
        kit = subprocess.run(
            [sys.executable, "-m", "riv_scheduling.conformance", "--url", url, "--logical-address", UNIT, "--quiet",
             "--html", str(page), "--junit", str(junit)],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )
        seconds = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    summary = kit.stdout.strip().splitlines()[-1]
    assert kit.returncode == 0, kit.stdout[-4000:]
    assert summary.startswith("PASSED: ") and " 0 fail" in summary and "blocked" not in summary, summary
    assert seconds < 30, f"the run took {seconds:.1f} s"
    assert page.stat().st_size < 1_000_000, page.stat().st_size
