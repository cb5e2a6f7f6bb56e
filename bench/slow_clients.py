"""Slow clients must not deny service (issue #11): a normal client's GetAvailableTimeslots latency
while hundreds of idle, partial-header and trickling connections are held open.

    .venv/bin/python bench/slow_clients.py [--setups serve,workers,nginx] [--seconds 60]
        [--idle 300] [--partial 300] [--trickle 300] [--rate 10] [--days 7]

For each set-up (``serve``: one process; ``workers``: ``serve --workers 2``; ``nginx``: nginx
terminating mutual TLS in front of ``serve --workers 2``, examples/nginx-mtls.conf), on loopback only:

1. baseline: the normal client alone for 10 s (``--rate`` calls a second, one keep-alive connection);
2. attack: ``--idle`` connections that send nothing, ``--partial`` that send a request line and
   part of a header and then nothing, ``--trickle`` that send one more header byte every second, all
   held for ``--seconds``; one the server closes is opened again at once (the pressure stays);
   meanwhile the normal client calls as in 1.

The normal client's p50/p99/max latency and errors of both phases, and how often the server closed
slow connections, are printed and written to bench/slow_clients.json. Bounded: at most 1,000 slow
connections, at most 300 s. The SQLite demo database; the search window is ``--days`` days of the
demo unit, all time types.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http package: this folder goes last on the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]

import argparse  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import selectors  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from _common import UNIT, Served, envelope, machine, table, window, write_json  # noqa: E402

from riv_scheduling.contract import INTERACTIONS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PATH = INTERACTIONS["GetAvailableTimeslots"].path
PARTIAL = b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nX-Pad: "
BASELINE_S = 10.0


# -- a throwaway PKI (openssl command line) for the nginx set-up ---------------------------------


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(folder: Path) -> dict[str, Path]:
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/O=Bench/CN=bench-ca",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", cwd=folder)
    for name, subject, ext in (
        ("server", "/O=Bench/CN=localhost", "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n"),
        ("client", "/serialNumber=SE2321000016-BNCH/O=Bench/CN=Bench client", "extendedKeyUsage=clientAuth\n"),
    ):
        (folder / f"{name}.ext").write_text("basicConstraints=critical,CA:FALSE\n" + ext)
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=folder)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=folder)
    return {name: folder / name for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


class Nginx:
    """nginx with examples/nginx-mtls.conf on a free port in front of ``upstream``."""

    def __init__(self, folder: Path, pki: dict[str, Path], upstream: int) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.access(binary, os.X_OK):
            raise SystemExit("the nginx set-up needs nginx (apt-get install nginx)")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        site = (ROOT / "examples" / "nginx-mtls.conf").read_text()
        for old, new in {"server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream};",
                         "listen 443 ssl;": f"listen 127.0.0.1:{self.port} ssl;",
                         "/etc/riv-scheduling/tls/server.pem": str(pki["server.pem"]),
                         "/etc/riv-scheduling/tls/server.key": str(pki["server.key"]),
                         "/etc/riv-scheduling/tls/client-ca.pem": str(pki["ca.pem"])}.items():
            site = site.replace(old, new)
        (folder / "site.conf").write_text(site)
        temp = folder / "temp"
        temp.mkdir(exist_ok=True)
        temp.chmod(0o777)
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
            f"worker_rlimit_nofile 8192;\nevents {{ worker_connections 4096; }}\n"
            f"http {{ access_log off; client_body_temp_path {temp}/b; proxy_temp_path {temp}/p;"
            f" fastcgi_temp_path {temp}/f; uwsgi_temp_path {temp}/u; scgi_temp_path {temp}/s;"
            f" include {folder}/site.conf; }}\n")
        self.proc = subprocess.Popen([binary, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                      "-e", str(folder / "error.log")], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError((folder / "error.log").read_text()) from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


# -- the clients -----------------------------------------------------------------------------------


class SlowClients:
    """``idle``, ``partial`` and ``trickle`` connections, kept open (reopened when the server closes one)."""

    def __init__(self, port: int, counts: dict[str, int], tls: ssl.SSLContext | None) -> None:
        self.port, self.counts, self.tls = port, counts, tls
        self.selector = selectors.DefaultSelector()
        self.reopened = dict.fromkeys(counts, 0)
        self.failed_opens = 0
        self.stop = threading.Event()
        self.next_byte: dict[socket.socket, float] = {}

    def _open(self, kind: str) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            if self.tls is not None and kind != "idle":
                sock = self.tls.wrap_socket(sock, server_hostname="127.0.0.1")
            if kind in ("partial", "trickle"):
                sock.sendall(PARTIAL)
            sock.setblocking(False)
        except OSError:
            self.failed_opens += 1
            return
        self.selector.register(sock, selectors.EVENT_READ, kind)
        if kind == "trickle":
            self.next_byte[sock] = time.monotonic() + 1.0

    def run(self) -> None:
        for kind, count in self.counts.items():
            for _ in range(count):
                self._open(kind)
        while not self.stop.is_set():
            for key, _ in self.selector.select(timeout=0.1):
                self._readable(key.fileobj, key.data)  # type: ignore[arg-type]
            now = time.monotonic()
            for sock, due in list(self.next_byte.items()):
                if due <= now:
                    try:
                        sock.send(b"a")
                        self.next_byte[sock] = now + 1.0
                    except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                        pass
                    except OSError:
                        self._closed(sock, "trickle")
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]

    def _readable(self, sock: socket.socket, kind: str) -> None:
        try:
            sock.recv(65536)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return  # TLS 1.3 session tickets: nothing for the client
        except OSError:
            pass
        self._closed(sock, kind)  # the server answered (a timeout fault) or closed the connection

    def _closed(self, sock: socket.socket, kind: str) -> None:
        """Readable: the server answered (a timeout fault) or closed the connection; open another."""
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        self.next_byte.pop(sock, None)
        sock.close()
        self.reopened[kind] += 1
        if not self.stop.is_set():
            self._open(kind)

    def open_now(self) -> int:
        return len(self.selector.get_map())


def normal_client(port: int, tls: ssl.SSLContext | None, rate: float, seconds: float, body: bytes) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0

    def connect() -> http.client.HTTPConnection:
        if tls is not None:
            return http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=tls)
        return http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    conn = connect()
    end = time.monotonic() + seconds
    next_call = time.monotonic()
    while time.monotonic() < end:
        next_call += 1 / rate
        started = time.perf_counter()
        try:
            conn.request("POST", PATH, body=body, headers={"Content-Type": "text/xml; charset=utf-8"})
            response = conn.getresponse()
            data = response.read()
            if response.status != 200 or b"<resultCode>OK" not in data.replace(b"ns0:", b"").replace(b"ns1:", b""):
                errors += 1
            else:
                latencies.append((time.perf_counter() - started) * 1000)
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = connect()
        time.sleep(max(0.0, next_call - time.monotonic()))
    conn.close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    return {"calls": len(latencies) + errors, "errors": errors, "p50_ms": pct(50), "p99_ms": pct(99),
            "max_ms": latencies[-1] if latencies else float("nan")}


def measure(name: str, port: int, tls: ssl.SSLContext | None, args: argparse.Namespace, body: bytes) -> dict[str, Any]:
    baseline = normal_client(port, tls, args.rate, BASELINE_S, body)
    slow = SlowClients(port, {"idle": args.idle, "partial": args.partial, "trickle": args.trickle}, tls)
    thread = threading.Thread(target=slow.run, daemon=True)
    thread.start()
    time.sleep(2)  # all opened
    held = slow.open_now()
    attacked = normal_client(port, tls, args.rate, args.seconds, body)
    held_end = slow.open_now()
    slow.stop.set()
    thread.join(timeout=30)
    result = {"setup": name, "baseline": baseline, "under_attack": attacked, "slow_open_at_start": held,
              "slow_open_at_end": held_end, "server_closed": slow.reopened, "failed_opens": slow.failed_opens}
    print(f"{name}: baseline p99 {baseline['p99_ms']:.1f} ms; with {held} slow connections p99"
          f" {attacked['p99_ms']:.1f} ms, {attacked['errors']} errors", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setups", default="serve,workers,nginx")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--idle", type=int, default=300)
    parser.add_argument("--partial", type=int, default=300)
    parser.add_argument("--trickle", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10, help="normal client calls per second")
    parser.add_argument("--days", type=int, default=7, help="search window of the normal client")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("slow_clients.json"))
    args = parser.parse_args()
    if args.idle + args.partial + args.trickle > 1000 or min(args.idle, args.partial, args.trickle) < 0:
        parser.error("at most 1,000 slow connections in all")
    if not 0 < args.seconds <= 300:
        parser.error("--seconds: more than 0, at most 300")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))  # the servers inherit it

    from riv_scheduling.demo import load_demo
    from riv_scheduling.store import open_store

    body = envelope("GetAvailableTimeslots", UNIT, **window(args.days))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = f"sqlite:///{folder / 'bench.db'}"
        store = open_store(db)
        store.create_schema()
        load_demo(store)
        store.dispose()
        for setup in args.setups.split(","):
            workers = None if setup == "serve" else 2
            with Served(db, workers, folder / f"{setup}.log") as served:
                if setup == "nginx":
                    pki = make_pki(folder)
                    context = ssl.create_default_context(cafile=str(pki["ca.pem"]))
                    context.load_cert_chain(str(pki["client.pem"]), str(pki["client.key"]))
                    nginx = Nginx(folder, pki, served.port)
                    try:
                        results.append(measure(setup, nginx.port, context, args, body))
                    finally:
                        nginx.stop()
                else:
                    results.append(measure(setup, served.port, None, args, body))
    rows = [[r["setup"], r["slow_open_at_start"], r["baseline"]["p50_ms"], r["baseline"]["p99_ms"],
             r["under_attack"]["p50_ms"], r["under_attack"]["p99_ms"], r["under_attack"]["max_ms"],
             r["under_attack"]["errors"], " ".join(f"{k}={v}" for k, v in r["server_closed"].items())]
            for r in results]
    print(table(["setup", "slow conns", "alone p50 ms", "alone p99 ms", "attacked p50 ms", "attacked p99 ms",
                 "attacked max ms", "errors", "closed by the server"], rows))
    write_json(args.out, {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()},
                          "results": results})
    return 0 if all(r["under_attack"]["errors"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
