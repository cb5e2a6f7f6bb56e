"""The admin tool's rules that need no browser, on the real app and a real SQLite database:
export and `load` agree, edits are audited and raise the configuration version, sign-in limits,
the trusted proxy header, cookies and the account commands."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from adminweb import PASSWORD, UNIT_A, UNIT_C, accounts, database_url
from sqlalchemy import text

from riv_scheduling.admin import AuditTrailStats, Settings, create_admin_app
from riv_scheduling.admin.accounts import AccountFile
from riv_scheduling.cli import build_parser
from riv_scheduling.clinic import apply_config
from riv_scheduling.demo import load_demo
from riv_scheduling.domain import AuditAction, local_date, stockholm_now
from riv_scheduling.store import Store, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    with database_url(request.param, tmp_path, request) as url:
        store = open_store(url)
        store.create_schema()
        load_demo(store)
        yield store
        store.dispose()


@pytest.fixture
def app(store: Store, tmp_path: Path) -> Any:
    settings = Settings(accounts=accounts(tmp_path / "users.json"), trusted_header="X-Remote-User",
                        trusted_proxies=("10.9.8.7",))
    return create_admin_app(store.uow, settings, stats=AuditTrailStats(store), store=store)


def token(client: Any, path: str = "/login") -> str:
    page = client.get(path, base_url="https://localhost")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def signed_in(app: Any, username: str) -> Any:
    client = app.test_client()
    answer = client.post("/login", base_url="https://localhost",
                         data={"csrf_token": token(client), "username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.text
    return client


def test_the_exported_file_loads_with_no_change(app: Any, store: Store, tmp_path: Path) -> None:
    client = signed_in(app, "regina")
    exported = client.get("/export.toml", base_url="https://localhost")
    assert exported.status_code == 200
    path = tmp_path / "exported.toml"
    path.write_bytes(exported.data)
    summary = apply_config(store, path, today=local_date(stockholm_now()))
    assert not summary.changed, str(summary)
    assert signed_in(app, "lokal").get("/export.toml", base_url="https://localhost").status_code == 403


def config_version(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM config_version")).scalar_one())


def test_a_saved_text_is_audited_with_before_and_after_and_raises_the_version(app: Any, store: Store) -> None:
    client = signed_in(app, "lokal")
    version = config_version(store)
    path = f"/enhet/{UNIT_A}/texter"
    answer = client.post(path, base_url="https://localhost", data={
        "csrf_token": token(client, path), "action": "save", "info-count": "1", "cond-count": "0",
        "info-0-header": "Parkering", "info-0-description": "Gratis parkering finns vid entrén.",
        "info-0-link": "https://example.org/parkering",
    })
    assert answer.status_code == 302
    assert config_version(store) > version
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event WHERE action = :a"),
                            {"a": AuditAction.CONFIGURED.value}).all()
    # cond-count 0 cleared the unit's conditions too: one event per changed key.
    row = next(r for r in rows if json.loads(r.detail)["what"].endswith(": information"))
    detail = json.loads(row.detail)
    assert row.actor_extension == "lokal" and row.facility_hsa_id == UNIT_A
    assert detail["what"] == f"unit {UNIT_A}: information"
    assert detail["after"] == [{"header": "Parkering", "description": "Gratis parkering finns vid entrén.",
                                "link": "https://example.org/parkering"}]
    assert detail["before"] != detail["after"]
    # Saving the same again changes nothing and records nothing.
    version = config_version(store)
    client.post(path, base_url="https://localhost", data={
        "csrf_token": token(client, path), "action": "save", "info-count": "1", "cond-count": "0",
        "info-0-header": "Parkering", "info-0-description": "Gratis parkering finns vid entrén.",
        "info-0-link": "https://example.org/parkering",
    })
    assert config_version(store) == version


def test_a_local_administrator_cannot_change_a_time_type_another_unit_shares(app: Any, store: Store) -> None:
    client = signed_in(app, "lokal")
    path = f"/enhet/{UNIT_A}/regler/LAKARBESOK"
    assert "ändringar görs av en regional administratör" in client.get(path, base_url="https://localhost").text
    with store.uow() as uow:
        before = uow.time_types.get(UNIT_C, "LAKARBESOK")
    answer = client.post(path, base_url="https://localhost", data={"csrf_token": token(client, path), "hidden": "on"})
    assert answer.status_code == 403
    with store.uow() as uow:
        assert uow.time_types.get(UNIT_C, "LAKARBESOK") == before


def test_sign_in_is_rate_limited(app: Any) -> None:
    client = app.test_client()
    for _ in range(5):
        wrong = client.post("/login", base_url="https://localhost",
                            data={"csrf_token": token(client), "username": "regina", "password": "wrong-password"})
        assert wrong.status_code == 401
    right = client.post("/login", base_url="https://localhost",
                        data={"csrf_token": token(client), "username": "regina", "password": PASSWORD})
    assert right.status_code == 429
    assert "För många misslyckade inloggningar" in right.text


def test_the_identity_header_is_believed_only_from_the_proxy(app: Any) -> None:
    client = app.test_client()
    trusted = client.get("/", base_url="https://localhost", headers={"X-Remote-User": "proxyuser"},
                         environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert trusted.status_code == 200 and UNIT_C in trusted.text and UNIT_A not in trusted.text
    untrusted = client.get("/", base_url="https://localhost", headers={"X-Remote-User": "regina"},
                           environ_base={"REMOTE_ADDR": "10.0.0.66"})
    assert untrusted.status_code == 302 and "/login" in untrusted.location
    # An account without a password cannot sign in with one.
    no_password = client.post("/login", base_url="https://localhost",
                              data={"csrf_token": token(client), "username": "proxyuser", "password": PASSWORD})
    assert no_password.status_code == 401


def test_the_session_cookie_is_secure(app: Any) -> None:
    client = app.test_client()
    answer = client.get("/login", base_url="https://localhost")
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


def main(argv: list[str]) -> int:
    """The command without `cli.main`'s logging set-up, which would keep a handler on this test's
    captured stderr after the test."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


def test_admin_user_commands_keep_argon2_hashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    users = str(tmp_path / "users.json")
    monkeypatch.setenv("RIV_SCHEDULING_ADMIN_PASSWORD", "a-long-enough-password")
    assert main(["admin-user", "add", "anna", "--role", "local", "--unit", UNIT_A, "--users", users]) == 0
    assert main(["admin-user", "add", "rut", "--role", "regional", "--users", users]) == 0
    assert main(["admin-user", "add", "bad", "--role", "local", "--users", users]) == 1  # no unit
    stored = Path(users).read_text()
    assert "a-long-enough-password" not in stored and "$argon2id$" in stored
    assert AccountFile(users).verify("anna", "a-long-enough-password") is not None
    assert main(["admin-user", "remove", "anna", "--users", users]) == 0
    capsys.readouterr()
    assert main(["admin-user", "list", "--users", users]) == 0
    assert capsys.readouterr().out.split() == ["rut", "regional", "*", "password"]


def test_statistics_count_per_action_time_type_reason_and_result_code_for_the_staff_members_units(
    app: Any, store: Store
) -> None:
    from datetime import timedelta

    from riv_scheduling.domain import PERSONNUMMER_OID, Actor, DomainError, PersonId, Scheduling

    scheduling = Scheduling(store.uow)
    now = stockholm_now()
    person = PersonId(PERSONNUMMER_OID, "191212121212")
    citizen = Actor(PERSONNUMMER_OID, "191212121212", "116154003")
    with store.uow() as uow:
        slot_a = uow.timeslots.find_free(UNIT_A, now + timedelta(days=3), now + timedelta(days=20), ["SSKBESOK"])[0]
        slot_c = uow.timeslots.find_free(UNIT_C, now + timedelta(days=3), now + timedelta(days=20), ["SSKBESOK"])[0]
    scheduling.booking.make_appointment(UNIT_A, citizen, person, slot_a.id, reason_text="Ont i halsen")
    scheduling.booking.make_appointment(UNIT_C, citizen, person, slot_c.id)
    with pytest.raises(DomainError):  # the same slot again, for someone else
        other = PersonId(PERSONNUMMER_OID, "191010101010")
        scheduling.booking.make_appointment(UNIT_C, Actor(PERSONNUMMER_OID, "191010101010", "116154003"), other,
                                            slot_c.id)

    def rows(page: str) -> dict[str, str]:
        return dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td></tr>', page))

    regional = rows(signed_in(app, "regina").get("/statistik", base_url="https://localhost").text)
    assert regional["Bokningar"] == "2" and regional["Nekade"] == "1"
    assert regional["MakeAppointment / REQUESTED_TIME_IS_ALREADY_RESERVED"] == "1"
    assert regional["NYBOKNING / fritext"] == "1"
    local = rows(signed_in(app, "lokal").get("/statistik", base_url="https://localhost").text)
    assert local["Bokningar"] == "1" and "Nekade" not in local  # unit A only
    bad = signed_in(app, "regina").get("/statistik?fran=2026-02-30", base_url="https://localhost")
    assert bad.status_code == 400 and "Ogiltigt datum" in bad.text


def test_the_admin_command_serves_the_tool_on_its_own_port(tmp_path: Path) -> None:
    import subprocess
    import sys
    import urllib.request

    command = [sys.executable, "-m", "riv_scheduling.cli", "admin", "--port", "0", "--demo",
               "--db", f"sqlite:///{tmp_path / 'cmd.db'}", "--users", str(tmp_path / "users.json")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://\S+", line).group(0)  # type: ignore[union-attr]
        with urllib.request.urlopen(f"{url}login", timeout=30) as answer:
            page = answer.read().decode()
        assert answer.status == 200 and "Logga in" in page and 'lang="sv"' in page
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_clinic_actions_go_through_the_domain_and_are_audited(app: Any, store: Store) -> None:
    from datetime import timedelta

    from riv_scheduling.domain import PERSONNUMMER_OID, AppointmentStatus, AuditTrail, PersonId

    client = signed_in(app, "lokal")
    path = f"/enhet/{UNIT_A}/atgarder"
    person = PersonId(PERSONNUMMER_OID, "191212121212")
    now = stockholm_now()
    with store.uow() as uow:
        free = uow.timeslots.find_free(UNIT_A, now + timedelta(days=3), now + timedelta(days=20), ["SSKBESOK"])
    proposed_slot, withdrawn_slot = free[0], free[1]

    def post(**form: str) -> Any:
        return client.post(path, base_url="https://localhost", data={"csrf_token": token(client, path), **form})

    assert post(action="assign", person="19121212-1212", time_type="ATERBESOK", priority="2").status_code == 302
    with store.uow() as uow:
        [assignment] = uow.assignments.list(UNIT_A, person)
    assert (assignment.time_type_code, assignment.priority) == ("ATERBESOK", 2)
    assert post(action="propose", person="191212121212", timeslot=str(proposed_slot.id)).status_code == 302
    assert post(action="withdraw", timeslot=str(withdrawn_slot.id)).status_code == 302
    with store.uow() as uow:
        assert uow.timeslots.get(withdrawn_slot.id).withdrawn  # type: ignore[union-attr]
        [(appointment, _)] = uow.appointments.list_active(UNIT_A, person)
    assert appointment.status is AppointmentStatus.PRELIMINARY and appointment.timeslot_id == proposed_slot.id
    actions = [e.action.value for e in AuditTrail(store.uow).for_person(person)]
    assert actions == ["assigned", "proposed"]
    # Refusals: a bad number, an unknown time type, the withdrawn slot, a slot of another unit.
    assert "Personnumret är ogiltigt" in post(action="assign", person="191212121213", time_type="ATERBESOK").text
    assert "Okänd besökstyp" in post(action="assign", person="191212121212", time_type="NEJ").text
    refused = post(action="propose", person="191010101010", timeslot=str(withdrawn_slot.id))
    assert refused.status_code == 400 and "REQUESTED_TIME_IS_NO_LONGER_AVAILABLE" in refused.text
    with store.uow() as uow:
        other = uow.timeslots.find_free(UNIT_C, now + timedelta(days=3), now + timedelta(days=20))[0]
    assert "Tiden finns inte vid enheten." in post(action="withdraw", timeslot=str(other.id)).text
    with store.uow() as uow:
        assert not uow.timeslots.get(other.id).withdrawn  # type: ignore[union-attr]
