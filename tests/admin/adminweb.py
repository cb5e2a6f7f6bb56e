"""Helpers and fixtures of the admin tests (conftest.py re-exports the fixtures).

The admin tool served for real: a SQLite database with the demo data, the admin app on a free port
(werkzeug's threaded server) and the SOAP producer on another (wsgiref), both on the same database;
a headless Debian Chromium driven by Playwright for the browser tests."""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server as make_admin_server

from riv_scheduling.admin import AuditTrailStats, Settings, create_admin_app
from riv_scheduling.admin.accounts import AccountFile
from riv_scheduling.demo import load_demo
from riv_scheduling.store import Store, open_store
from riv_scheduling.wsgi import create_app

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery-staple"
UNIT_A = "SE2321000016-A1B2"
UNIT_C = "SE2321000016-C3D4"
ARTIFACTS = Path(os.environ.get("RIV_ADMIN_ARTIFACTS", "build/admin-screenshots"))


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


class _ThreadedWSGIServer(WSGIServer):
    daemon_threads = True


@dataclass
class World:
    store: Store
    db_url: str
    admin_url: str
    soap_url: str
    app: Flask
    today: date


def accounts(path: Path) -> AccountFile:
    file = AccountFile(path)
    file.add("regina", _role("regional"), (), PASSWORD)
    file.add("lokal", _role("local"), (UNIT_A,), PASSWORD)
    file.add("proxyuser", _role("local"), (UNIT_C,), None)
    return file


def _role(name: str) -> Any:
    from riv_scheduling.admin.staff import Role

    return Role(name)


@contextmanager
def database_url(backend: str, folder: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema on the session's PostgreSQL server
    (`postgres_url`, tests/conftest.py: it fails instead of skipping under CI=true)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'admin.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        yield make_url(base).update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        engine.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("admin")
    db_url = f"sqlite:///{folder / 'admin.db'}"
    store = open_store(db_url)
    store.create_schema()
    load_demo(store)
    settings = Settings(accounts=accounts(folder / "users.json"), secure_cookie=False,
                        trusted_header="X-Remote-User", trusted_proxies=("10.9.8.7",))
    app = create_admin_app(store.uow, settings, stats=AuditTrailStats(store), store=store)
    admin_server = make_admin_server("127.0.0.1", 0, app, threaded=True)
    producer = create_app(db_url)
    soap_server = make_server("127.0.0.1", 0, producer, server_class=_ThreadedWSGIServer, handler_class=_Quiet)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (admin_server, soap_server)]
    for t in threads:
        t.start()
    try:
        yield World(store, db_url, f"http://127.0.0.1:{admin_server.server_port}",
                    f"http://127.0.0.1:{soap_server.server_port}", app, date.today())
    finally:
        admin_server.shutdown()
        soap_server.shutdown()
        soap_server.server_close()
        producer.store.dispose()  # type: ignore[attr-defined]
        store.dispose()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it): browser tests not run"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, viewport={"width": 1280, "height": 900},
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    browser.clear_cookies()
    page = browser.new_page()
    try:
        yield page
    finally:
        page.close()


def sign_in(page: Any, world: World, username: str) -> None:
    page.goto(f"{world.admin_url}/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(re.compile(r".*/$"))


def screenshot(page: Any, name: str) -> None:
    """An artifact of the run (not committed); with RIV_ADMIN_README_SHOTS=1 also the README's copy."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if os.environ.get("RIV_ADMIN_README_SHOTS") == "1":
        images = Path(__file__).resolve().parents[2] / "docs" / "images"
        images.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(images / f"admin-{name}.png"), full_page=False)
