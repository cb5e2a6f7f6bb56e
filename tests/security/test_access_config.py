"""The access allowlist on its own: loading, refusing bad files, and decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from riv_scheduling.access import (
    CLIENT_HSA_ID_KEY,
    ORIGINAL_CONSUMER_ENVIRON,
    AccessConfigError,
    AccessPolicy,
    hsa_id_from_cert,
)

GOOD = """
[[platform]]
hsa_id = "SE2321000016-NTJP"

[[consumer]]
hsa_id = "SE2321000016-1177"
units = ["*"]
interactions = ["*"]

[[consumer]]
hsa_id = "se2321000016-ro01"
units = ["SE2321000016-A1B2"]
interactions = ["GetAvailableTimeslots", "GetAppointments"]

[[consumer]]
hsa_id = "SE2321000016-RO01"
units = ["SE2321000016-B2C3"]
interactions = ["MakeAppointment"]
"""


def policy(tmp_path: Path, text: str = GOOD) -> AccessPolicy:
    f = tmp_path / "access.toml"
    f.write_text(text, encoding="utf-8")
    return AccessPolicy.load(f)


def test_decisions(tmp_path: Path) -> None:
    p = policy(tmp_path)
    assert p.allows("SE2321000016-1177", "CancelAppointment", "anything")
    assert p.allows("SE2321000016-RO01", "GetAppointments", "se2321000016-a1b2")
    assert not p.allows("SE2321000016-RO01", "MakeAppointment", "SE2321000016-A1B2")
    assert p.allows("SE2321000016-RO01", "MakeAppointment", "SE2321000016-B2C3")  # the second entry
    assert not p.allows("SE2321000016-NTJP", "GetAppointments", "SE2321000016-A1B2")  # a platform only relays
    assert not p.allows("SE2321000016-XXXX", "GetAppointments", "SE2321000016-A1B2")


def test_identity_from_header_only_for_a_trusted_platform(tmp_path: Path) -> None:
    p = policy(tmp_path)
    environ = {CLIENT_HSA_ID_KEY: "SE2321000016-NTJP", ORIGINAL_CONSUMER_ENVIRON: "SE2321000016-1177"}
    decision = p.decide(environ, "MakeAppointment", "SE2321000016-A1B2")
    assert decision.allowed and decision.identity.consumer == "SE2321000016-1177" and decision.identity.via_platform
    environ[CLIENT_HSA_ID_KEY] = "SE2321000016-RO01"
    decision = p.decide(environ, "CancelAppointment", "SE2321000016-A1B2")
    assert not decision.allowed and decision.identity.consumer == "SE2321000016-RO01"
    assert "SE2321000016-RO01" in decision.reason and "CancelAppointment" in decision.reason
    assert not p.decide({}, "GetAppointments", "x").allowed


@pytest.mark.parametrize("text, says", [
    ("[[consumer]]\nhsa_id = 'SE1'\nunits = ['*']\n", "interactions"),
    ("[[consumer]]\nhsa_id = 'SE1'\ninteractions = ['*']\n", "units"),
    ("[[consumer]]\nhsa_id = 'SE1'\nunits = ['*']\ninteractions = ['MakeApointment']\n", "MakeApointment"),
    ("[[consumer]]\nhsa_id = 'SE1'\nunits = []\ninteractions = ['*']\n", "non-empty"),
    ("[[consumer]]\nhsa_id = 'SE 1'\nunits = ['*']\ninteractions = ['*']\n", "hsa_id"),
    ("[[consumer]]\nhsa_id = 'SE1'\nunits = ['*']\ninteractions = ['*']\nunit = 'x'\n", "unknown keys"),
    ("[[consumers]]\nhsa_id = 'SE1'\n", "unknown keys"),
    ("[[platform]]\n", "hsa_id"),
    ("consumer = 'x'\n", "array of tables"),
    ("[[consumer]\n", "access.toml"),
])
def test_bad_files_are_refused_with_a_clear_message(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(AccessConfigError, match=says):
        policy(tmp_path, text)


def test_hsa_id_from_a_peer_certificate() -> None:
    cert = {"subject": ((("serialNumber", "SE2321000016-C001"),), (("commonName", "x"),))}
    assert hsa_id_from_cert(cert) == "SE2321000016-C001"
    assert hsa_id_from_cert({"subject": ((("commonName", "x"),),)}) is None
    assert hsa_id_from_cert(None) is None
    two = {"subject": ((("serialNumber", "A"),), (("serialNumber", "B"),))}
    assert hsa_id_from_cert(two) is None, "two serial numbers are ambiguous"
