"""The ``conformance`` and ``validate`` sub-commands; ``register(subparsers)`` adds both."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riv_scheduling.conformance.contracts import CONTRACTS, SCHEDULING_2_0, using
from riv_scheduling.conformance.rules import DEFAULT_PERSON, DEFAULT_PERSON2

if TYPE_CHECKING:
    from riv_scheduling.conformance.scenario import Scenario

# The kit (zeep, requests, the schemas) is imported when a command runs, not when the main command
# line is built: ``riv-scheduling serve`` does not pay for it.

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add ``conformance`` and ``validate`` to an argparse sub-parser set."""
    p = subparsers.add_parser(
        "conformance",
        help="test a scheduling 2.0 producer (any vendor's) against the contract",
        description="Run the conformance scenarios (contracts/*.toml) against a producer. Requests are built "
        "with zeep from this kit's own schemas/ WSDLs and sent to BASE/<Interaction>/<major>/rivtabp21.",
    )
    p.add_argument("--url", help="the producer's base URL, e.g. https://host:443/vp or http://127.0.0.1:8080")
    p.add_argument("--logical-address", help="LogicalAddress: the HSA-id of the care unit to test")
    p.add_argument("--person", default=DEFAULT_PERSON, help=f"the test patient (default {DEFAULT_PERSON})")
    p.add_argument("--person2", default=DEFAULT_PERSON2,
                   help=f"a second test patient, for double booking and privacy checks (default {DEFAULT_PERSON2})")
    p.add_argument("--concurrent-person", action="append", default=[], metavar="PNR",
                   help="a citizen of the concurrent booking (repeatable; default: --person and --person2)")
    p.add_argument("--concurrency", type=int, metavar="N",
                   help="how many of the concurrent persons book the same slot at once (default: all of them)")
    p.add_argument("--contract", default=SCHEDULING_2_0, choices=sorted(CONTRACTS),
                   help=f"the contract to test (default {SCHEDULING_2_0}); crm-scheduling-1.1 runs the "
                        "riv.crm.scheduling 1.1 scenarios (contracts/crm-scheduling-1.1/)")
    p.add_argument("--read-only", action="store_true",
                   help="run only the scenarios that change nothing (for production endpoints)")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--html", type=Path, metavar="FILE", help="write one self-contained HTML report")
    p.add_argument("--contracts", type=Path, action="append", metavar="DIR|FILE",
                   help="scenario files or folders to use instead of the kit's contracts/ (repeatable)")
    p.add_argument("--scenario", type=Path, action="append", default=[], metavar="DIR|FILE",
                   help="more scenario files or folders, e.g. a region's own cases (repeatable)")
    p.add_argument("--only", action="append", default=[], metavar="ID", help="run only these scenarios (repeatable)")
    p.add_argument("--skip", action="append", default=[], metavar="ID", help="leave these scenarios out (repeatable)")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="a scenario variable, e.g. --var invitation_time_type=ATERBESOK (repeatable)")
    p.add_argument("--time-type", help="search only slots of this time type code (the ${time_type} variable)")
    p.add_argument("--days-ahead", type=int, default=2,
                   help="the search window starts this many days from today (default 2, clear of cancel notices)")
    p.add_argument("--days", type=int, default=7, help="length of the search window in days (default 7)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP exchange (default 30)")
    p.add_argument("--no-wsdl-probe", action="store_true",
                   help="do not GET ?wsdl to learn which interactions are served; rely on 404 / Faults")
    p.add_argument("--not-served-fault", action="append", default=[], metavar="REGEX",
                   help="a faultstring pattern meaning 'interaction not served here' (added to the built-in ones)")
    p.add_argument("--cert", help="TLS client certificate (PEM), for the national platform or a region's gateway")
    p.add_argument("--key", help="private key of --cert, if not in the same file")
    p.add_argument("--ca", help="CA bundle to verify the producer's certificate")
    p.add_argument("--insecure", action="store_true", help="do not verify the producer's TLS certificate")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--list", action="store_true", help="list the scenarios and their checks, run nothing")
    p.set_defaults(func=cmd_conformance)

    v = subparsers.add_parser(
        "validate",
        help="validate recorded SOAP messages against the scheduling 2.0 schemas",
        description="Validate recorded messages (whole SOAP envelopes or bare bodies, requests or responses of "
        "any of the 12 interactions; folders: their *.xml files). Exit code 0 only if every message is valid.",
    )
    v.add_argument("files", nargs="+", type=Path, metavar="FILE")
    v.set_defaults(func=cmd_validate)


def _scenarios(args: argparse.Namespace) -> list[Scenario]:
    from riv_scheduling.conformance.contracts import scenarios_dir
    from riv_scheduling.conformance.scenario import ScenarioError, default_contracts_dir, load

    sources = list(args.contracts or [scenarios_dir(default_contracts_dir(), args.contract)]) + list(args.scenario)
    scenarios = load(sources)
    known = {s.id for s in scenarios}
    for sid in args.only + args.skip:
        if sid not in known:
            raise ScenarioError(f"no scenario {sid!r} (known: {', '.join(sorted(known))})")
    if args.only:
        scenarios = [s for s in scenarios if s.id in args.only]
    return [s for s in scenarios if s.id not in args.skip]


def _variables(items: list[str]) -> dict[str, str]:
    from riv_scheduling.conformance.scenario import ScenarioError

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ScenarioError(f"--var {item!r}: write NAME=VALUE")
        out[name.strip()] = value
    return out


def cmd_conformance(args: argparse.Namespace) -> int:
    with using(getattr(args, "contract", SCHEDULING_2_0)):  # the scenarios name this contract's interactions
        return _conformance(args)


def _conformance(args: argparse.Namespace) -> int:
    from riv_scheduling.conformance import report
    from riv_scheduling.conformance.client import NOT_SERVED_FAULTS
    from riv_scheduling.conformance.runner import Runner, RunOptions, check_person
    from riv_scheduling.conformance.scenario import ScenarioError
    from riv_scheduling.logs import mask

    try:
        scenarios = _scenarios(args)
        variables = _variables(args.var)
    except ScenarioError as exc:
        print(f"riv-scheduling conformance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.list:
        for s in scenarios:
            flag = "changes data" if s.changes_data else "read-only"
            print(f"{s.id}  ({flag}) {s.title}  [{s.path}]")
            for step in s.steps:
                for name in s.check_names(step):
                    print(f"  {name}")
        return EXIT_OK
    problems = []
    if not args.url:
        problems.append("--url is required")
    if not args.logical_address:
        problems.append("--logical-address is required")
    for option, pnr in (("--person", args.person), ("--person2", args.person2)):
        why = check_person(pnr)
        if why:
            problems.append(f"{option}: {why}")
    if args.person == args.person2:
        problems.append("--person and --person2 must differ")
    for pnr in args.concurrent_person:
        why = check_person(pnr)
        if why:
            problems.append(f"--concurrent-person {pnr}: {why}")
    racers = args.concurrent_person or [args.person, args.person2]
    if len(set(racers)) != len(racers):
        problems.append("--concurrent-person: each person once")
    if args.concurrency is not None and not 2 <= args.concurrency <= len(racers):
        problems.append(f"--concurrency: between 2 and the number of concurrent persons ({len(racers)})")
    if args.key and not args.cert:
        problems.append("--key needs --cert")
    if problems:
        for p in problems:
            print(mask(f"riv-scheduling conformance: {p}"), file=sys.stderr)
        return EXIT_USAGE
    options = RunOptions(
        base_url=args.url, logical_address=args.logical_address, person=args.person, person2=args.person2,
        read_only=args.read_only, variables=variables, time_type=args.time_type, days_ahead=args.days_ahead,
        days=args.days, timeout=args.timeout, probe_wsdl=not args.no_wsdl_probe,
        not_served_faults=NOT_SERVED_FAULTS + tuple(args.not_served_fault),
        cert=(args.cert, args.key) if args.cert and args.key else args.cert,
        verify=False if args.insecure else (args.ca or True),
        concurrent_persons=tuple(args.concurrent_person), concurrency=args.concurrency,
    )

    def progress(r: Any) -> None:
        if not args.quiet:
            print(report.progress_line(r), file=sys.stderr, flush=True)

    result = Runner(options, progress).run(scenarios)
    sys.stdout.write(report.terminal(result))
    if args.junit:
        args.junit.write_bytes(report.junit(result))
        print(f"JUnit XML: {args.junit}", file=sys.stderr)
    if args.html:
        args.html.write_text(report.html_report(result), encoding="utf-8")
        print(f"HTML report: {args.html}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED


def cmd_validate(args: argparse.Namespace) -> int:
    from riv_scheduling.conformance.validate import validate_files

    files: list[Path] = []
    for p in args.files:
        files.extend(sorted(p.glob("*.xml")) if p.is_dir() else [p])
    reports = validate_files(files)
    for r in reports:
        for line in r.lines():
            print(line)
    valid = sum(r.valid for r in reports)
    foreign = sum(not r.scheduling2 for r in reports)
    print(f"{len(reports)} file{'s' if len(reports) != 1 else ''}: {valid} valid, {len(reports) - valid} invalid"
          + (f" ({foreign} not scheduling 2.0 messages)" if foreign else ""))
    return EXIT_OK if reports and valid == len(reports) else EXIT_FAILED
