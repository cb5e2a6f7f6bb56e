"""A throwaway PostgreSQL server for the test session, so the README's test command covers PostgreSQL.

`postgres_url` (tests/conftest.py) is the URL of a database the tests may create schemas in:
RIV_TEST_POSTGRES_URL when it is set; otherwise a server this module starts on the first test that
asks for it (so `pytest tests/domain` starts none): initdb into a new folder under /tmp, a free
localhost port, its unix socket in that folder, fsync off, 300 connections (the race tests run 4
processes x 8 threads). The URL is exported as RIV_TEST_POSTGRES_URL for the session (processes the
tests start inherit it); the server is stopped and its folder removed when the session ends, also
after a failure or Ctrl-C (pytest tears session fixtures down then; atexit is a second guard).

Without server binaries (PATH or Debian's /usr/lib/postgresql/*/bin) the PostgreSQL tests skip and
say how to get them; under CI=true they fail instead, so CI cannot pass by skipping.

Why not pytest-postgresql's executor: it runs pg_ctl/initdb as the current user, and both refuse to
run as root (its issues #341 and #455 were closed without an option for another user). CI and our
development machines run as root, so this module runs them as the `postgres` system user there.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ENV = "RIV_TEST_POSTGRES_URL"
DATABASE = "riv_test"
DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "300",  # the race tests: 4 processes x 8 threads, plus pools
    "fsync": "off",  # a throwaway server: nothing needs to survive a power cut
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
HOW_TO_GET = (
    "install the server binaries (Debian/Ubuntu: `apt-get install postgresql`; the tests then start a "
    f"throwaway server themselves) or set {ENV} to a database on a running server "
    f"(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE})"
)


class PostgresStartFailed(Exception):
    """Binaries found, but the server did not start (always a test error: the machine is broken)."""


def find_bin_dir() -> Path | None:
    """The folder with initdb, pg_ctl and postgres: from PATH, else Debian's newest version."""
    on_path = [shutil.which(name) for name in ("initdb", "pg_ctl")]
    if all(on_path):
        return Path(os.path.realpath(str(on_path[1]))).parent
    found = [Path(d) for d in glob.glob(DEBIAN_BIN_DIRS) if os.access(Path(d) / "initdb", os.X_OK)]

    def version(d: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", d.parent.name))

    return max(found, key=version) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """initdb + pg_ctl start in a temporary folder; `stop()` removes everything again."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder: Path | None = None
        self.port = 0
        self._as_user: list[str] = []
        self._started = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def data(self) -> Path:
        assert self.folder is not None
        return self.folder / "data"

    def _run(self, *argv: str) -> None:
        assert self.folder is not None
        out = self.folder / "commands.log"
        with open(out, "ab") as log:  # a file, not a pipe: the postmaster must not hold our pipe open
            done = subprocess.run(
                [*self._as_user, *argv], stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.folder
            )
        if done.returncode != 0:
            server_log = self.folder / "server.log"
            tail = server_log.read_text(errors="replace")[-2000:] if server_log.exists() else ""
            raise PostgresStartFailed(
                f"{' '.join(argv[:2])} failed ({done.returncode}):\n{out.read_text(errors='replace')[-2000:]}{tail}"
            )

    def start(self) -> None:
        as_root = os.geteuid() == 0
        if as_root:
            # initdb and pg_ctl refuse to run as root: the postgres system user (Debian's package
            # creates it) owns the folder and runs the server; we connect over TCP with trust.
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresStartFailed(
                    "running as root, but there is no `postgres` user to run the server as"
                ) from None
            runuser = shutil.which("runuser")
            if runuser is None:
                raise PostgresStartFailed("running as root, but runuser (util-linux) is missing")
            self._as_user = [runuser, "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="riv-test-postgres-", dir="/tmp" if as_root else None))
        atexit.register(self.stop)
        if as_root:
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        b = self.bin_dir
        self._run(str(b / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        for attempt in range(3):  # another process may take the free port before the server does
            self.port = _free_port()
            options = f"-p {self.port} -k {self.folder} " + " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
            try:
                self._run(str(b / "pg_ctl"), "start", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                          "-w", "-t", "60", "-o", options)
                break
            except PostgresStartFailed:
                if attempt == 2:
                    raise
        self._started = True
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        """Stop the server (immediately: its data is thrown away) and remove its folder; idempotent."""
        folder, self.folder = self.folder, None
        if folder is None:
            return
        if self._started:
            self._started = False
            subprocess.run([*self._as_user, str(self.bin_dir / "pg_ctl"), "stop", "-D", str(folder / "data"),
                            "-m", "immediate", "-w"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, cwd=folder, check=False)
        shutil.rmtree(folder, ignore_errors=True)
