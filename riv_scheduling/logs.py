"""Logging set-up: structured one-line records with personal identity numbers masked.

Whatever a log record contains (messages, arguments, tracebacks, SQL parameters), a
12-digit personnummer or samordningsnummer (optionally with a - or + separator) is
written with its last four digits replaced by ``****``.
"""

from __future__ import annotations

import logging
import re

# YYYYMMDD (day may be +60 for samordningsnummer) followed by four digits.
PERSON_ID = re.compile(r"(?<!\d)((?:18|19|20)\d{2}[01]\d[0-9]\d)[-+]?(\d{4})(?!\d)")


def mask(text: str) -> str:
    return PERSON_ID.sub(lambda m: f"{m.group(1)}****", text)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        MaskingFormatter("%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Spyne logs every step of every request at DEBUG/INFO; keep its warnings only.
    logging.getLogger("spyne").setLevel(logging.WARNING)
