"""The clinic file's [engagement_index]: which units report to EI, with which sourceSystem and
dataController; loading a changed file re-keys the unit's posts (TKB 2.0 §3.5.9) in the same
transaction."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from riv_scheduling.clinic import ConfigError, apply_config, load_config
from riv_scheduling.domain import (
    PERSONNUMMER_OID,
    Actor,
    PersonId,
    Scheduling,
    Timeslot,
    stockholm_now,
)
from riv_scheduling.domain.engagement_index import IndexReporting
from riv_scheduling.store import Store, outbox

TOLVAN = PersonId(PERSONNUMMER_OID, "191212121212")
CITIZEN = Actor(PERSONNUMMER_OID, "191212121212", "116154003")
UNITS = """
[[time_type]]
code = "BESOK"
name = "Besök"

[[unit]]
hsa_id = "SE2321000016-U001"
name = "Norr"
time_types = ["BESOK"]

[[unit]]
hsa_id = "SE2321000016-U002"
name = "Söder"
time_types = ["BESOK"]
"""
EI = """
[engagement_index]
source_system = "SE2321000016-84GX"

[[engagement_index.care_provider]]
name = "Region Exempel"
data_controller = "{controller}"
units = ["se2321000016-u001"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clinic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_file_says_which_units_report_and_how(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, UNITS + EI.replace("{controller}", "SE232100-0016")))
    assert config.reporting_of("SE2321000016-U001") == IndexReporting("SE2321000016-84GX", "SE232100-0016")
    assert config.reporting_of("SE2321000016-U002") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (EI.replace('units = ["se2321000016-u001"]', 'units = ["SE-NOPE"]'), "is not a [[unit]]"),
        (EI + '\n[[engagement_index.care_provider]]\ndata_controller = "X"\nunits = ["SE2321000016-U001"]\n',
         "two care providers"),
        (EI.replace('source_system = "SE2321000016-84GX"', 'source_system = " SE2321000016-84GX"'), "spaces"),
        (EI.replace('source_system = "SE2321000016-84GX"\n', ""), "missing key 'source_system'"),
        (EI.replace('name = "Region Exempel"', 'nme = "x"'), "unknown key"),
    ],
)
def test_mistakes_in_the_section_are_reported(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(write(tmp_path, UNITS + text.replace("{controller}", "SE232100-0016")))


def test_loading_a_new_data_controller_rekeys_the_posts_and_reloading_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, UNITS + EI.replace("{controller}", "SE232100-0016"))
    assert "engagement index units: 1 changed" in str(apply_config(store, path))
    start = stockholm_now().replace(microsecond=0) + timedelta(days=2)
    slot = Timeslot(uuid.uuid4(), "SE2321000016-U001", "BESOK", start, start + timedelta(minutes=20))
    from riv_scheduling.domain import ClinicSetup

    ClinicSetup(store.uow).add_timeslot(slot)
    booked = Scheduling(store.uow).booking.make_appointment("SE2321000016-U001", CITIZEN, TOLVAN, slot.id)
    assert str(apply_config(store, path, today=date.today())) == "no changes"
    assert outbox.status(store).depth == 1

    apply_config(store, write(tmp_path, UNITS + EI.replace("{controller}", "SE556000-0000")))
    entries = outbox.entries(store)
    assert [(e.transaction.delete_flag, e.transaction.key.data_controller) for e in entries] == [
        (False, "SE232100-0016"), (True, "SE232100-0016"), (False, "SE556000-0000")
    ]
    assert {e.appointment_id for e in entries} == {booked.id}

    apply_config(store, write(tmp_path, UNITS))  # no [engagement_index]: no unit reports
    assert outbox.entries(store)[-1].transaction.delete_flag
    with store.uow() as uow:
        assert uow.engagement_index.posts_of("SE2321000016-U001") == []
