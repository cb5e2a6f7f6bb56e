"""A wheel carries what the producer reads at run time (schemas, conformance contracts, the demo
clinic) and serves from a plain, non-editable installation."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "riv_scheduling", "schemas", "contracts", "examples")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel pip builds from a copy of the sources (so no build/ is left in the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--disable-pip-version-check", "-w", str(out),
         str(src)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (found,) = out.glob("riv_scheduling-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as an installer would lay it out in site-packages."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    return site


def run(site: Path, *args: str, cwd: Path) -> subprocess.Popen[str]:
    # Only the unpacked wheel provides riv_scheduling (it comes first on the path); dependencies
    # come from this interpreter's environment. cwd is empty, so nothing is found beside it.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)}
    return subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_the_wheel_holds_every_schema_contract_and_the_demo_clinic(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f"riv_scheduling/resources/schemas/{p.relative_to(ROOT / 'schemas').as_posix()}"
              for p in (ROOT / "schemas").rglob("*") if p.suffix in (".xsd", ".wsdl")}
    wanted |= {f"riv_scheduling/resources/contracts/{p.name}" for p in (ROOT / "contracts").glob("*.toml")}
    wanted.add("riv_scheduling/resources/demo-clinic.toml")
    assert len(wanted) > 30 and wanted <= names, sorted(wanted - names)
    assert {"riv_scheduling/migrations/script.py.mako", "riv_scheduling/migrations/alembic.ini"} <= names


def test_an_installed_wheel_serves_the_contract(installed: Path, tmp_path: Path) -> None:
    probe = run(installed, "-c", "import riv_scheduling.contract.schemas as s; print(s.__file__); print(s.SCHEMA_DIR)",
                cwd=tmp_path)
    out, _ = probe.communicate(timeout=60)
    assert probe.returncode == 0, out
    module, schema_dir = out.split()
    assert module.startswith(str(installed)) and schema_dir.startswith(str(installed)), out

    listed = run(installed, "-m", "riv_scheduling.cli", "conformance", "--list", cwd=tmp_path)
    out, _ = listed.communicate(timeout=60)
    assert listed.returncode == 0 and "new-booking" in out, out

    serve = run(installed, "-m", "riv_scheduling.cli", "serve", "--port", "0", "--db",
                f"sqlite:///{tmp_path / 'producer.db'}", cwd=tmp_path)
    try:
        base = _wait_for_address(serve)
        path = "/GetAvailableTimeslots/2/rivtabp21"
        with urllib.request.urlopen(f"{base}{path}?wsdl", timeout=10) as r:
            wsdl = r.read()
        assert r.status == 200 and b"GetAvailableTimeslots" in wsdl
        body = (
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:add="urn:riv:itintegration:registry:1" '
            'xmlns:urn="urn:riv:supportprocess:logistics:scheduling:GetAvailableTimeslotsResponder:2">'
            "<soapenv:Header><add:LogicalAddress>SE2321000016-A1B2</add:LogicalAddress></soapenv:Header>"
            "<soapenv:Body><urn:GetAvailableTimeslots>"
            f"<urn:startDateInclusive>{time.strftime('%Y%m%d')}</urn:startDateInclusive>"
            f"<urn:endDateInclusive>{time.strftime('%Y%m%d', time.localtime(time.time() + 14 * 86400))}"
            "</urn:endDateInclusive>"
            "</urn:GetAvailableTimeslots></soapenv:Body></soapenv:Envelope>"
        ).encode()
        request = urllib.request.Request(f"{base}{path}", data=body,
                                         headers={"Content-Type": "text/xml; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=30) as r:
            answer = r.read()
        assert re.search(rb"resultCode>OK</", answer), answer[:500]
        assert b"timeslotId" in answer  # the demo clinic was loaded from the wheel's copy
    finally:
        serve.terminate()
        serve.communicate(timeout=30)


def _wait_for_address(proc: subprocess.Popen[str], seconds: float = 60) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + seconds
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        found = re.search(r"serving on (http://[0-9.]+:\d+)", line)
        if found:
            return found.group(1)
    raise AssertionError("serve from the wheel did not start:\n" + "".join(seen))

