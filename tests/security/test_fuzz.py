"""Fuzzing the wire: mutated request envelopes of every served interaction, posted to a running
producer. The answer is always a schema-valid response or a SOAP Fault (never an unhandled error,
never HTML), and afterwards the database invariants hold."""

from __future__ import annotations

import copy
import http.client
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from secwire import SERVED, SOAP, UNIT, Running, envelope, luhn_pnr, request_body, running, schema
from sqlalchemy import text

from riv_scheduling.contract import INTERACTIONS

PERSONS = [luhn_pnr(f"19121212{n:03d}") for n in range(200, 205)]
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
INTERESTING = st.sampled_from([
    "", " ", "-1", "0", "OK", "9" * 40, "19121212121X", "1.2.752.129.2.1.3.3", "SE2321000016-A1B2",
    "20260231", "99999999999999", "00000000-0000-0000-0000-000000000000", "<&>", "\u202e", "å" * 30,
])


@dataclass
class FuzzWorld:
    producer: Running
    slots: list[str]
    appointments: list[str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzWorld]:
    with running(tmp_path_factory.mktemp("fuzz") / "p.db") as p:
        slots = [p.make_slot() for _ in range(12)]
        appointments = []
        for person, slot in zip(PERSONS, slots[:3], strict=False):
            status, data = p.call("MakeAppointment", pnr=person, slot=slot)
            assert status == 200, data
            appointments.append(etree.fromstring(data).findtext(".//{*}appointmentId"))
        yield FuzzWorld(p, slots, appointments)


def mutate(tree: etree._Element, data: st.DataObject) -> None:
    elements = [e for e in tree.iter() if isinstance(e.tag, str)][1:]  # not the Envelope itself
    if not elements:
        return
    target = data.draw(st.sampled_from(elements), label="element")
    action = data.draw(st.sampled_from(["drop", "duplicate", "reorder", "replace", "text", "interesting"]),
                       label="action")
    parent = target.getparent()
    if action == "drop" and parent is not None:
        parent.remove(target)
    elif action == "duplicate" and parent is not None:
        target.addnext(copy.deepcopy(target))
    elif action == "reorder" and parent is not None and len(parent) > 1:
        position = data.draw(st.integers(0, len(parent) - 1), label="position")
        parent.remove(target)
        parent.insert(position, target)
    elif action == "replace" and parent is not None:
        other = data.draw(st.sampled_from(elements), label="other")
        if target not in other.iterancestors() and other is not target:
            parent.replace(target, copy.deepcopy(other))
    elif action == "text":
        target.text = data.draw(XML_TEXT, label="text")
    elif action == "interesting":
        target.text = data.draw(INTERESTING, label="value")


def mutate_bytes(raw: bytes, data: st.DataObject) -> bytes:
    for _ in range(data.draw(st.integers(1, 3), label="byte edits")):
        at = data.draw(st.integers(0, len(raw)), label="at")
        junk = data.draw(st.binary(min_size=0, max_size=8), label="bytes")
        cut = data.draw(st.integers(0, 8), label="cut")
        raw = raw[:at] + junk + raw[at + cut:]
    return raw


def check_answer(name: str, status: int, headers: dict[str, str], body: bytes) -> None:
    assert headers.get("content-type", "").startswith("text/xml"), (status, headers, body[:200])
    root = etree.fromstring(body)
    assert root.tag == f"{{{SOAP}}}Envelope"
    payload = root.find(f"{{{SOAP}}}Body")[0]
    if status == 200:
        assert payload.tag == INTERACTIONS[name].response_tag, payload.tag
        assert schema(name).validate(payload), str(schema(name).error_log)
    else:
        assert status == 500, (status, body[:300])
        assert payload.tag == f"{{{SOAP}}}Fault", body[:300]
        assert payload.findtext("faultcode") and payload.findtext("faultstring")


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_envelopes_get_a_valid_response_or_a_fault(world: FuzzWorld, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(SERVED), label="interaction")
    who = data.draw(st.integers(0, len(PERSONS) - 1), label="person")  # the first ones have appointments
    body = request_body(
        name,
        pnr=PERSONS[who],
        slot=data.draw(st.sampled_from(world.slots), label="slot"),
        appointment=world.appointments[who % len(world.appointments)],
    )
    tree = etree.fromstring(envelope(body, UNIT))
    for _ in range(data.draw(st.integers(0, 4), label="mutations")):
        mutate(tree, data)
    raw = etree.tostring(tree)
    if data.draw(st.integers(0, 4), label="byte mutation?") == 0:
        raw = mutate_bytes(raw, data)
    conn = http.client.HTTPConnection(world.producer.host, world.producer.port, timeout=30)
    try:
        conn.request("POST", INTERACTIONS[name].path, body=raw, headers={"Content-Type": "text/xml; charset=utf-8"})
        response = conn.getresponse()
        answer = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    check_answer(name, response.status, headers, answer)


def test_the_database_invariants_hold_after_fuzzing(world: FuzzWorld) -> None:
    # Runs after the fuzz test (file order); holds at any time anyway.
    with world.producer.store.engine.connect() as db:
        over = db.execute(text("SELECT id, booked, capacity FROM timeslot WHERE booked > capacity")).all()
        assert over == [], "slots booked over capacity"
        orphans = db.execute(text(
            "SELECT a.id FROM appointment a LEFT JOIN timeslot t ON t.id = a.timeslot_id"
            " WHERE a.state = 'active' AND t.id IS NULL")).all()
        assert orphans == [], "active appointments without their slot"
        mismatched = db.execute(text(
            "SELECT t.id, t.booked, COUNT(a.id) FROM timeslot t"
            " LEFT JOIN appointment a ON a.timeslot_id = t.id AND a.state = 'active'"
            " GROUP BY t.id, t.booked HAVING t.booked != COUNT(a.id)")).all()
        assert mismatched == [], "booked counts that differ from the active appointments"
        active = db.execute(text("SELECT COUNT(*) FROM appointment WHERE state = 'active'")).scalar_one()
        assert active >= 1
