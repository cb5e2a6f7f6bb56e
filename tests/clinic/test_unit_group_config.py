"""`[[unit_group]]` in the clinic file: units that stand in for each other (docs/configuration.md)."""

from __future__ import annotations

import tomllib

import pytest

from riv_scheduling.clinic import ConfigError
from riv_scheduling.clinic.config import parse_config
from riv_scheduling.domain import BookingLimits

BASE = """
[[time_type]]
code = "VACCIN"
name = "Vaccination"
  [time_type.limits]
  rebook_to_other_unit = true

[[unit]]
hsa_id = "SE1-A"
name = "A"
time_types = ["VACCIN"]
related_units = ["SE1-C"]

[[unit]]
hsa_id = "SE1-B"
name = "B"
time_types = ["VACCIN"]

[[unit]]
hsa_id = "SE1-C"
name = "C"
time_types = ["VACCIN"]
"""


def parse(extra: str) -> dict[str, tuple[str, ...]]:
    config = parse_config(tomllib.loads(BASE + extra), "test.toml")
    return {u.facility.hsa_id: u.facility.related_facilities for u in config.units}


def test_a_group_relates_every_unit_to_the_others_once() -> None:
    related = parse('[[unit_group]]\nname = "Vaccination"\nunits = ["SE1-A", "se1-b", "SE1-C"]\n')
    assert related == {"SE1-A": ("SE1-C", "SE1-B"), "SE1-B": ("SE1-A", "SE1-C"), "SE1-C": ("SE1-A", "SE1-B")}


def test_the_move_flag_is_a_time_type_limit() -> None:
    config = parse_config(tomllib.loads(BASE), "test.toml")
    assert config.time_types["VACCIN"].limits == BookingLimits(rebook_to_other_unit=True)


@pytest.mark.parametrize(("units", "message"), [
    ('["SE1-A"]', "two or more different units"),
    ('["SE1-A", "se1-a"]', "two or more different units"),
    ('["SE1-A", "SE1-X"]', "'SE1-X' is not a \\[\\[unit\\]\\]"),
])
def test_group_mistakes_name_the_place(units: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(f"[[unit_group]]\nunits = {units}\n")
    with pytest.raises(ConfigError, match="unknown key"):
        parse('[[unit_group]]\nunits = ["SE1-A", "SE1-B"]\nmembers = []\n')
