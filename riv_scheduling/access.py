"""Who may call what: the consumer's identity and the access allowlist.

Identity (RIV-TA rule 6, as the national platform VP does it): the consumer is the HSA-id in
the ``serialNumber`` (OID 2.5.4.5) of the subject of its TLS client certificate (a SITHS
function certificate). When that certificate belongs to a platform the configuration trusts
(e.g. the national platform, NTjP), the platform calls on behalf of someone else, and the
consumer is the value of its ``x-rivta-original-serviceconsumer-hsaid`` HTTP header instead
(rule 23). Anyone else's header is ignored: they are judged by their own certificate.

Configuration (TOML)::

    # Platforms whose certificates may name the original consumer in the header.
    [[platform]]
    hsa_id = "SE2321000016-NTJP"

    [[consumer]]
    hsa_id = "SE2321000016-1177"         # the consumer's HSA-id (case-insensitive)
    units = ["*"]                        # LogicalAddress values (case-insensitive) or "*"
    interactions = ["*"]                 # interaction names, e.g. "MakeAppointment", or "*"
                                         # (riv.crm.scheduling 1.0 endpoints: "MakeBooking/rivtabp20")

A consumer may have several ``[[consumer]]`` entries; a call is allowed when one of them
names (or stars) both the LogicalAddress and the interaction.

WSGI environ keys (set by ``riv_scheduling.server`` for TLS connections, or by its
``TrustedProxies`` from a trusted TLS-terminating proxy's headers; read by
``riv_scheduling.soap.app.Producer``):

- ``riv.peer_cert``: the peer certificate as ``ssl.SSLSocket.getpeercert()`` returns it;
- ``riv.client_hsa_id``: the serialNumber of that certificate's subject;
- ``riv.consumer_hsa_id``: set by the producer: the consumer the call was judged as.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riv_scheduling.contract import INTERACTIONS
from riv_scheduling.contract.crm_scheduling import CRM_1_0_INTERACTIONS, CRM_INTERACTIONS

# What an entry may name (Interaction.access_name): the 2.0 and riv.crm.scheduling 1.1 interactions
# (GetAvailableDates and GetAvailableTimeslots name the endpoint of both), and the 1.0 (RIVTABP20)
# endpoints as "<Interaction>/rivtabp20", so that a consumer may be given 1.1 without 1.0.
KNOWN = frozenset(
    i.access_name for group in (INTERACTIONS, CRM_INTERACTIONS, CRM_1_0_INTERACTIONS) for i in group.values()
)

PEER_CERT_KEY = "riv.peer_cert"
# Set by the HTTP server (riv_scheduling.server): time.monotonic() when the request had arrived whole.
# The producer's deadline counts from it, so time spent queued for a thread counts too.
ARRIVED_KEY = "riv.arrived"
CLIENT_HSA_ID_KEY = "riv.client_hsa_id"
CONSUMER_HSA_ID_KEY = "riv.consumer_hsa_id"
ORIGINAL_CONSUMER_HEADER = "x-rivta-original-serviceconsumer-hsaid"
ORIGINAL_CONSUMER_ENVIRON = "HTTP_X_RIVTA_ORIGINAL_SERVICECONSUMER_HSAID"

ANY = "*"
# HSA-ids are like SE2321000016-1234; be generous but refuse separators, spaces and junk.
HSA_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class AccessConfigError(ValueError):
    """The access configuration file is not valid."""


def hsa_id_from_cert(cert: Mapping[str, Any] | None) -> str | None:
    """The serialNumber (2.5.4.5) of a ``getpeercert()`` subject, as in SITHS certificates."""
    if not cert:
        return None
    values = [
        value
        for rdn in cert.get("subject", ())
        for name, value in rdn
        if name in ("serialNumber", "2.5.4.5")
    ]
    if len(values) != 1:
        return None  # none, or ambiguous
    value = str(values[0]).strip()
    return value if HSA_ID.fullmatch(value) else None


def hsa_id_from_subject_dn(dn: str) -> str | None:
    """The serialNumber of a subject DN in RFC 2253/4514 form (nginx's ``$ssl_client_s_dn``),
    with the same rule as ``hsa_id_from_cert``: exactly one, and shaped like an HSA-id."""
    values = [value for name, value in _dn_attributes(dn) if name.casefold() in ("serialnumber", "2.5.4.5")]
    if len(values) != 1:
        return None
    value = values[0].strip()
    return value if HSA_ID.fullmatch(value) else None


def _dn_attributes(dn: str) -> list[tuple[str, str]]:
    """``type=value`` pairs of a DN string; separators ``,`` and ``+``, backslash escapes honoured."""
    out: list[tuple[str, str]] = []
    current, escaped = [], False
    for ch in dn[:4096] + ",":
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",+":
            name, sep, value = "".join(current).partition("=")
            if sep and not value.startswith("#"):
                out.append((name.strip(), value))
            current = []
        else:
            current.append(ch)
    return out


@dataclass(frozen=True)
class Rule:
    units: frozenset[str] | None  # casefolded; None = any
    interactions: frozenset[str] | None  # None = any

    def allows(self, interaction: str, logical_address: str) -> bool:
        return (self.units is None or logical_address.casefold() in self.units) and (
            self.interactions is None or interaction in self.interactions
        )


@dataclass(frozen=True)
class Identity:
    """Who is calling: ``consumer`` is judged; ``certificate`` is who holds the TLS connection."""

    consumer: str | None
    certificate: str | None
    via_platform: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    identity: Identity
    reason: str = ""


class AccessPolicy:
    """The allowlist: consumers -> (units, interactions), and the trusted platforms."""

    def __init__(self, rules: Mapping[str, Iterable[Rule]], platforms: Iterable[str] = ()) -> None:
        self.rules = {k.casefold(): tuple(v) for k, v in rules.items()}
        self.platforms = frozenset(p.casefold() for p in platforms)

    # -- loading ---------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> AccessPolicy:
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise AccessConfigError(f"{path}: {exc}") from None
        try:
            return cls.from_mapping(data)
        except AccessConfigError as exc:
            raise AccessConfigError(f"{path}: {exc}") from None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AccessPolicy:
        unknown = set(data) - {"consumer", "platform"}
        if unknown:
            raise AccessConfigError(f"unknown keys {sorted(unknown)}; expected [[consumer]] and [[platform]]")
        rules: dict[str, list[Rule]] = {}
        for i, entry in enumerate(_tables(data, "consumer")):
            where = f"consumer #{i + 1}"
            extra = set(entry) - {"hsa_id", "units", "interactions", "description"}
            if extra:
                raise AccessConfigError(f"{where}: unknown keys {sorted(extra)}")
            hsa_id = _hsa_id(entry.get("hsa_id"), where)
            units = _names(entry.get("units"), f"{where} ({hsa_id}) units")
            interactions = _names(entry.get("interactions"), f"{where} ({hsa_id}) interactions")
            if interactions is not None:
                wrong = sorted(set(interactions) - KNOWN)
                if wrong:
                    raise AccessConfigError(
                        f"{where} ({hsa_id}): unknown interactions {wrong}; known: {sorted(KNOWN)}"
                    )
            rule = Rule(
                frozenset(u.casefold() for u in units) if units is not None else None,
                frozenset(interactions) if interactions is not None else None,
            )
            rules.setdefault(hsa_id.casefold(), []).append(rule)
        platforms = []
        for i, entry in enumerate(_tables(data, "platform")):
            where = f"platform #{i + 1}"
            extra = set(entry) - {"hsa_id", "description"}
            if extra:
                raise AccessConfigError(f"{where}: unknown keys {sorted(extra)}")
            platforms.append(_hsa_id(entry.get("hsa_id"), where))
        return cls(rules, platforms)

    # -- decisions -------------------------------------------------------------------

    def identify(self, cert_hsa_id: str | None, original_consumer: str | None) -> Identity:
        """The consumer to judge: the header only for a trusted platform's certificate."""
        if cert_hsa_id and cert_hsa_id.casefold() in self.platforms and original_consumer:
            return Identity(original_consumer.strip(), cert_hsa_id, via_platform=True)
        return Identity(cert_hsa_id, cert_hsa_id)

    def allows(self, consumer: str, interaction: str, logical_address: str) -> bool:
        return any(r.allows(interaction, logical_address) for r in self.rules.get(consumer.casefold(), ()))

    def decide(self, environ: Mapping[str, Any], interaction: str, logical_address: str) -> Decision:
        identity = self.identify(environ.get(CLIENT_HSA_ID_KEY), environ.get(ORIGINAL_CONSUMER_ENVIRON))
        if identity.certificate is None:
            return Decision(
                False, identity,
                "No consumer identity: a TLS client certificate with the consumer's HSA-id in the"
                " subject serialNumber is required",
            )
        consumer = identity.consumer or ""
        if not HSA_ID.fullmatch(consumer):
            return Decision(
                False, identity,
                f"The {ORIGINAL_CONSUMER_HEADER} header is not a valid HSA-id",
            )
        if not self.allows(consumer, interaction, logical_address):
            via = f" (via platform {identity.certificate})" if identity.via_platform else ""
            return Decision(
                False, identity,
                f"Consumer {consumer}{via} is not allowed to call {interaction} for LogicalAddress"
                f" {logical_address if len(logical_address) <= 64 else logical_address[:64] + '...'}",
            )
        return Decision(True, identity)


def _tables(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise AccessConfigError(f"'{key}' must be an array of tables ([[{key}]])")
    return value


def _hsa_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not HSA_ID.fullmatch(value.strip()):
        raise AccessConfigError(f"{where}: hsa_id must be an HSA-id string, got {value!r}")
    return value.strip()


def _names(value: Any, where: str) -> list[str] | None:
    """A list of names; None means any ("*"). Required: an allowlist says what it allows."""
    if value is None:
        raise AccessConfigError(f"{where}: required (a list of names, or \"*\" for any)")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise AccessConfigError(f"{where}: expected a non-empty list of strings or \"*\"")
    names = [v.strip() for v in value]
    return None if ANY in names else names
