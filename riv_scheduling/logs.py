"""Logging set-up: structured one-line records with personal identity numbers masked.

Whatever a log record contains (messages, arguments, ``extra`` fields, tracebacks, SQL
parameters, request lines), a personnummer or samordningsnummer is written with its last
four digits replaced by ``****``: the 12-digit form (``YYYYMMDDNNNN``) and the 10-digit form
(``YYMMDDNNNN``), each also with a ``-`` or ``+`` separator. The masking runs on the finished
line, so nothing a formatter adds can slip past it.

Two structured formats, one record per line:

- ``kv`` (default): ``ts=2026-05-09T07:35:25.123+0200 level=INFO logger=riv_scheduling.http
  msg=request peer=127.0.0.1:50312 request="POST /MakeAppointment/2/rivtabp21 HTTP/1.1" ...``;
  values with spaces, quotes or line breaks are JSON-quoted, so a traceback stays on its line
  (``exc="Traceback ...\\n..."``);
- ``json``: one JSON object per line with the same keys.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

# YYYYMMDD (day may be +60 for samordningsnummer) followed by four digits.
PERSON_ID = re.compile(r"(?<!\d)((?:18|19|20)\d{2}[01]\d[0-9]\d)[-+]?(\d{4})(?!\d)")
# YYMMDD followed by four digits (the 10-digit form, with or without - or +).
PERSON_ID_10 = re.compile(r"(?<!\d)(\d{2}[01]\d[0-9]\d)[-+]?(\d{4})(?!\d)")

FORMATS = ("kv", "json")

# Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_BARE = re.compile(r"[\w.:/@*+,-]+")


def mask(text: str) -> str:
    text = PERSON_ID.sub(lambda m: f"{m.group(1)}****", text)
    return PERSON_ID_10.sub(lambda m: f"{m.group(1)}****", text)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class StructuredFormatter(MaskingFormatter):
    """One masked line per record: key=value pairs (``kv``) or a JSON object (``json``)."""

    def __init__(self, style: str = "kv") -> None:
        if style not in FORMATS:
            raise ValueError(f"log format must be one of {FORMATS}, not {style!r}")
        super().__init__()
        self.style_name = style

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        t = time.localtime(record.created)
        return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(record.msecs):03d}" + time.strftime("%z", t)

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in fields:
                fields[key] = value
        exc_text = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else "")
        if exc_text:
            fields["exc"] = exc_text
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        fields = {key: _bounded(key, value) for key, value in fields.items()}
        if self.style_name == "json":
            line = json.dumps(fields, ensure_ascii=False, default=str)
        else:
            line = " ".join(f"{k}={_kv(v)}" for k, v in fields.items())
        return mask(line)


MAX_FIELD = 1000  # characters of one field of a log line (a message may quote a client's input)
MAX_TRACE_LINE = 300  # characters of one line of a traceback (an exception message may quote it too)


def _bounded(key: str, value: Any) -> Any:
    """Client input reaches the log only bounded: long fields are cut, saying how long they were."""
    if key in ("exc", "stack") and isinstance(value, str):
        lines = value.splitlines()[-200:]
        return "\n".join(line if len(line) <= MAX_TRACE_LINE else f"{line[:MAX_TRACE_LINE]}... ({len(line)} characters)"
                         for line in lines)
    if isinstance(value, (str, bytes)) and len(value) > MAX_FIELD:
        return f"{value[:MAX_FIELD]!s}... ({len(value)} characters)"
    if not isinstance(value, (str, bytes, int, float, bool, type(None))):
        text = str(value)
        if len(text) > MAX_FIELD:
            return f"{text[:MAX_FIELD]}... ({len(text)} characters)"
    return value


def _kv(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "kv") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(StructuredFormatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Spyne logs every step of every request at DEBUG/INFO; keep its warnings only.
    logging.getLogger("spyne").setLevel(logging.WARNING)
