"""A small TOML writer for clinic configuration documents (tomllib only reads).

Top-level arrays become `[[name]]` tables; inside them, lists of tables named in SUBTABLES become
`[[parent.name]]` tables (written last, as TOML requires), every other table is written inline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

SUBTABLES = ("rule",)  # [[time_type.rule]]


def dumps(doc: Mapping[str, Any], header: str = "") -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for name, items in doc.items():
        for item in items:
            lines += ["", f"[[{name}]]"]
            lines += _table_body(item, name)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table_body(table: Mapping[str, Any], path: str) -> list[str]:
    lines = [f"{_key(k)} = {_value(v)}" for k, v in table.items() if k not in SUBTABLES]
    for sub in SUBTABLES:
        for item in table.get(sub, ()):
            lines += ["", f"  [[{path}.{sub}]]"]
            lines += [f"  {line}" for line in _table_body(item, f"{path}.{sub}")]
    return lines


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _string(key)


def _string(value: str) -> str:
    # JSON's escapes (\" \\ \n \t \uXXXX) are TOML basic-string escapes too.
    return json.dumps(value, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
