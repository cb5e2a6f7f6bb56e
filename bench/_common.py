"""Shared helpers of the benchmark scripts (not a test module): data set, envelopes, tables."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.domain import Actor, PersonId, Scheduling, TimeslotQuery
from riv_scheduling.soap.interactions import element

UNIT = "SE2321000016-A1B2"  # the demo unit
PNR = "191212121212"
PERSONNUMMER = "1.2.752.129.2.1.3.1"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
REGISTRY = "urn:riv:itintegration:registry:1"
CORE = "urn:riv:supportprocess:logistics:scheduling:2"
CITIZEN = ("116154003", "1.2.752.116.2.1.1")


def pnr(n: int) -> str:
    """The n-th test personnummer 1912121xxxxC (valid check digit)."""
    prefix = f"19121212{n % 1000:03d}" if n < 1000 else f"1912{1201 + n // 1000 % 28:04d}{n % 1000:03d}"
    digits = prefix[2:]
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return prefix + str((10 - total % 10) % 10)


def _el(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    e = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        e.text = text
    return e


def _ii(parent: etree._Element, ns: str, name: str, root: str, ext: str) -> None:
    e = _el(parent, ns, name)
    _el(e, CORE, "root", root)
    _el(e, CORE, "extension", ext)


def envelope(name: str, unit: str = UNIT, person: str = PNR, **fields: str) -> bytes:
    """A request envelope as a consumer sends it: LogicalAddress, actor, personId, then ``fields``.

    ``fields`` are simple elements of the Responder namespace, in the order the schema wants;
    ``actor``/``personId`` are added where the interaction has them."""
    i = INTERACTIONS[name]
    ns = i.responder_ns
    env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soapenv": SOAP})
    header = _el(env, SOAP, "Header")
    _el(header, REGISTRY, "LogicalAddress", unit)
    body = _el(env, SOAP, "Body")
    req = _el(body, ns, name)
    cls = element(i, name)
    for key in cls._type_info:
        if key == "actor" and name != "GetAvailableTimeslots":
            actor = _el(req, ns, "actor")
            _ii(actor, CORE, "actorId", PERSONNUMMER, person)
            at = _el(actor, CORE, "actorType")
            _el(at, CORE, "code", CITIZEN[0])
            _el(at, CORE, "codeSystem", CITIZEN[1])
        elif key == "personId" and (name not in ("GetAvailableTimeslots",)):
            _ii(req, ns, "personId", PERSONNUMMER, person)
        elif key in fields:
            _el(req, ns, key, fields[key])
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def actor(person: str = PNR) -> Actor:
    return Actor(PERSONNUMMER, person, CITIZEN[0])


def person_id(person: str = PNR) -> PersonId:
    return PersonId(PERSONNUMMER, person)


def free_slots(scheduling: Scheduling, unit: str = UNIT, days: int = 27, code: str | None = None) -> list[Any]:
    today = date.today()
    query = TimeslotQuery(today + timedelta(days=1), today + timedelta(days=days), time_type_code=code)
    return scheduling.search.available_timeslots(unit, query)


def window(days: int) -> dict[str, str]:
    """``days`` days from the next weekday after today: the demo opens on weekdays only, so a 1-day
    search run on a Friday or Saturday would otherwise measure an empty answer."""
    start = date.today() + timedelta(days=1)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    return {"startDateInclusive": start.strftime("%Y%m%d"),
            "endDateInclusive": (start + timedelta(days=days - 1)).strftime("%Y%m%d")}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, Any]:
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()}


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    return "\n".join([line, sep, *body])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"wrote {path}")


class Served:
    """``riv-scheduling serve`` as a subprocess on 127.0.0.1 (a free port), stopped on exit."""

    def __init__(self, db_url: str, workers: int | None, log: Path, extra: list[str] | None = None,
                 env: dict[str, str] | None = None, prefix: list[str] | None = None) -> None:
        """``prefix``: a command that runs serve, such as ``["taskset", "-c", "1"]``."""
        import re
        import subprocess
        import time
        import urllib.request

        cmd = [*(prefix or []), sys.executable, "-m", "riv_scheduling.cli", "--log-level", "WARNING", "serve",
               "--host", "127.0.0.1", "--port", "0", "--db", db_url, "--no-demo"]
        if workers:
            cmd += ["--workers", str(workers)]
        cmd += extra or []
        self.log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited:\n{log.read_text()}")
            found = re.search(r"serving on http://([0-9.]+):(\d+)", log.read_text())
            if found:
                self.host, self.port = found.group(1), int(found.group(2))
                try:
                    with urllib.request.urlopen(f"http://{self.host}:{self.port}"
                                                f"{INTERACTIONS['MakeAppointment'].path}?wsdl", timeout=5):
                        break
                except OSError:
                    pass
            time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"serve not ready:\n{log.read_text()}")

    def stop(self) -> None:
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Client:
    """One HTTP/1.1 keep-alive connection posting envelopes (reconnects when the server closes)."""

    def __init__(self, host: str, port: int) -> None:
        import http.client

        self._new = lambda: http.client.HTTPConnection(host, port, timeout=60)
        self.conn = self._new()

    def post(self, path: str, data: bytes) -> tuple[int, bytes]:
        import http.client

        for attempt in (1, 2):
            try:
                self.conn.request("POST", path, body=data, headers={"Content-Type": "text/xml; charset=utf-8"})
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = self._new()
                return response.status, body
            except (http.client.HTTPException, ConnectionError, BrokenPipeError):
                self.conn.close()
                self.conn = self._new()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def result_code(body: bytes) -> str:
    start = body.find(b"resultCode>")
    if start < 0:
        return "FAULT" if b"Fault>" in body else "-"
    end = body.find(b"<", start)
    return body[start + len(b"resultCode>"):end].decode()


class Postgres:
    """A throwaway PostgreSQL server, started as ``.ci/run`` does: Debian's binaries (installed with
    apt-get when missing), ``initdb`` into a temporary folder (as the postgres user when we are root),
    a free port on 127.0.0.1, ``pg_ctl start -w``; stopped and removed by ``stop()``.

    ``url`` is a SQLAlchemy URL of an empty database ``riv_bench``. Defaults, except ``fsync=off``
    (a throwaway server, as in CI) and ``max_connections``."""

    def __init__(self, max_connections: int = 300) -> None:
        import glob
        import pwd
        import shutil
        import socket
        import subprocess
        import tempfile

        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in
                                                                              p.split("/")[-2].split(".")])
        if not bins:
            if os.geteuid() != 0 or not shutil.which("apt-get"):
                raise SystemExit("PostgreSQL is not installed (Debian: apt-get install postgresql)")
            print("installing PostgreSQL (apt-get install postgresql)", flush=True)
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bin = Path(bins[-1])
        self.root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="riv-bench-postgres."))
        if self.root:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._run("initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres", "--no-sync")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
                f" -c max_connections={max_connections} -c fsync=off")
        try:
            self._run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", "-t", "60",
                      "start", "-o", opts)
        except subprocess.CalledProcessError:
            print((self.dir / "server.log").read_text(), file=sys.stderr)
            self.stop()
            raise
        self.createdb("riv_bench")
        self.url = self.url_of("riv_bench")
        version = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True)
        self.version = version.stdout.split()[2] if version.stdout else "?"

    def createdb(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def url_of(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, program: str, *args: str) -> None:
        import subprocess

        cmd = [str(self.bin / program), *args]
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd="/")

    def pids(self) -> list[int]:
        """The server's processes (postmaster and its backends), for CPU accounting."""
        try:
            first = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return [first, *_children(first)]

    def stop(self) -> None:
        import shutil
        import subprocess

        if (self.dir / "data" / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Postgres:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _children(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc)."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0
