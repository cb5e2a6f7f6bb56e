"""Argument types shared by the `riv-scheduling` subcommands (argparse `type=` callables)."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from datetime import date

from riv_scheduling.contract import personal_identity
from riv_scheduling.domain import PersonId

DB_HELP = "SQLAlchemy database URL (default: sqlite:///riv-scheduling.db)"


def person_id(value: str) -> PersonId:
    """A personnummer or samordningsnummer (12 digits, with or without '-'), checked in full."""
    try:
        checked = personal_identity.from_text(value)
    except personal_identity.InvalidPersonalIdentity as exc:
        raise argparse.ArgumentTypeError(f"{exc.reason}, e.g. 191212121212") from None
    return PersonId(checked.root, checked.extension)


def uuid_of(what: str) -> Callable[[str], uuid.UUID]:
    """A `type=` callable for an id such as a timeslot or appointment id."""

    def parse(value: str) -> uuid.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} (UUID)") from None

    return parse


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a date such as 2025-06-30") from None
