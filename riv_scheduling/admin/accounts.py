"""Staff accounts: a JSON file of usernames, roles, units and argon2 password hashes.

A file rather than a table so the accounts stay apart from the booking data (like an htpasswd
file); `riv-scheduling admin-user add|remove|list` edits it. An account without a password can
only sign in through the trusted identity header of an authenticating proxy (auth.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .staff import Role, Staff

DEFAULT_FILE = "riv-admin-users.json"
FILE_ENV = "RIV_SCHEDULING_ADMIN_USERS"
_HASHER = PasswordHasher()
# Verified against when the username is unknown, so that answers take as long either way.
_DUMMY_HASH = _HASHER.hash("riv-scheduling: no such account")


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class Account:
    staff: Staff
    password_hash: str | None = None


def hash_password(password: str) -> str:
    if len(password) < 12:
        raise AccountError("the password must have at least 12 characters")
    return _HASHER.hash(password)


class AccountFile:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or os.environ.get(FILE_ENV) or DEFAULT_FILE)

    def load(self) -> dict[str, Account]:
        """Username (lower case) -> account; a missing file has none."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise AccountError(f"{self.path}: {exc}") from None
        accounts = {}
        for item in data.get("users", []):
            staff = Staff(item["username"], Role(item["role"]), tuple(item.get("units", ())))
            accounts[staff.username.lower()] = Account(staff, item.get("password_hash"))
        return accounts

    def save(self, accounts: dict[str, Account]) -> None:
        users = [
            {"username": a.staff.username, "role": a.staff.role.value, "units": list(a.staff.units),
             "password_hash": a.password_hash}
            for a in sorted(accounts.values(), key=lambda a: a.staff.username.lower())
        ]
        text = json.dumps({"users": users}, ensure_ascii=False, indent=2) + "\n"
        folder = self.path.resolve().parent
        folder.mkdir(parents=True, exist_ok=True)
        # Written to a private temporary file and renamed: never half-written, never world-readable.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".riv-admin-users-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, username: str, role: Role, units: tuple[str, ...], password: str | None) -> Account:
        if not username.strip() or any(c.isspace() for c in username):
            raise AccountError("a username is one word")
        if role is Role.LOCAL and not units:
            raise AccountError("a local administrator needs at least one --unit")
        if role is Role.REGIONAL and units:
            raise AccountError("a regional administrator has every unit: give no --unit")
        accounts = self.load()
        account = Account(Staff(username, role, units), hash_password(password) if password is not None else None)
        accounts[username.lower()] = account
        self.save(accounts)
        return account

    def remove(self, username: str) -> bool:
        accounts = self.load()
        if accounts.pop(username.lower(), None) is None:
            return False
        self.save(accounts)
        return True

    def get(self, username: str) -> Account | None:
        return self.load().get(username.lower())

    def verify(self, username: str, password: str) -> Staff | None:
        """The staff member if the password is right (argon2), else None."""
        account = self.get(username)
        stored = account.password_hash if account is not None else None
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return account.staff if account is not None and stored else None
