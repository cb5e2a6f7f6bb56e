"""``python -m riv_scheduling.conformance conformance|validate ...``"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from riv_scheduling.conformance.commands import register


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m riv_scheduling.conformance",
                                     description="conformance kit for riv.supportprocess.logistics.scheduling 2.0")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("--") and argv[0] not in ("--help",):
        argv.insert(0, "conformance")  # python -m riv_scheduling.conformance --url ... runs the kit
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
