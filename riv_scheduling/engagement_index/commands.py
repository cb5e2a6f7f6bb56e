"""`riv-scheduling deliver` and `riv-scheduling outbox status|list|retry`.

`register(subparsers)` adds them; each sets `func(args) -> int`. Identity numbers are masked in
every listing (EI data counts as patient data: EI-TKB "Informationssäkerhet och juridik").
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from riv_scheduling.arguments import DB_HELP


def _store(url: str | None) -> Any:
    from riv_scheduling.store import SchemaError, open_store

    store = open_store(url)
    try:
        store.ensure_schema()
    except SchemaError as exc:
        store.dispose()
        print(f"riv-scheduling: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return store


def endpoint_config(args: argparse.Namespace) -> Any:
    from .client import EndpointConfig

    if bool(args.ei_cert) != bool(args.ei_key):
        raise SystemExit("riv-scheduling deliver: --ei-cert and --ei-key go together")
    return EndpointConfig(
        url=args.ei_url,
        logical_address=args.ei_logical_address,
        client_cert=args.ei_cert,
        client_key=args.ei_key,
        ca_file=args.ei_ca,
        timeout=args.ei_timeout,
    )


def delivery_policy(args: argparse.Namespace) -> Any:
    from .delivery import DeliveryPolicy

    lease = max(args.lease, 2 * args.ei_timeout + 2)  # a claim must outlast one call
    return DeliveryPolicy(
        batch_size=args.batch_size,
        max_attempts=args.max_attempts,
        backoff_base_s=args.backoff_base,
        backoff_max_s=args.backoff_max,
        lease_s=lease,
        sweep_every_s=args.sweep_every,
    )


def cmd_deliver(args: argparse.Namespace) -> int:
    from .client import UpdateClient
    from .delivery import Deliverer

    on_round = None
    if args.metrics_port is not None:
        from prometheus_client import start_http_server

        from .delivery_metrics import DeliveryMetrics

        on_round = DeliveryMetrics()
        start_http_server(args.metrics_port, addr=args.metrics_host)
    store = _store(args.db)
    deliverer = Deliverer(store, UpdateClient(endpoint_config(args)), delivery_policy(args), on_round=on_round)
    try:
        if args.once:
            r = deliverer.run_once()
            print(f"sent {r.sent} in {r.calls} Update call(s); failed {r.failed}; parked {r.parked};"
                  f" swept {r.swept}")
            return 1 if r.failed else 0
        stop = threading.Event()

        def on_signal(*_: object) -> None:
            # Not stop.set() here: the handler runs in the main thread, which may be inside
            # stop.wait() holding the Event's (non-reentrant) lock; set() would then wait for it
            # forever. A short-lived thread sets it once the main thread lets go of the lock.
            threading.Thread(target=stop.set, name="stop", daemon=True).start()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)
        print(f"riv-scheduling delivering to {args.ei_url}", flush=True)
        deliverer.run(stop)
        return 0
    finally:
        store.dispose()


def cmd_outbox_status(args: argparse.Namespace) -> int:
    from riv_scheduling.store import outbox

    store = _store(args.db)
    try:
        s = outbox.status(store)
    finally:
        store.dispose()
    oldest = f"{s.oldest_age_s:.0f} s" if s.oldest_age_s is not None else "-"
    print(f"depth {s.depth}  oldest {oldest}  parked {s.parked}  retrying {s.retrying}  being sent {s.claimed}")
    return 0


def describe(entry: Any) -> str:
    """One line per entry; the identity number masked (birth date only)."""
    from riv_scheduling.domain.clock import to_stockholm

    t = entry.transaction
    k = t.key
    person = k.registered_resident_identification[:8] + "****"
    what = "delete" if t.delete_flag else "add/update"
    line = (
        f"{entry.id}\t{to_stockholm(entry.created).isoformat(timespec='seconds')}\t{what}\t"
        f"appointment={t.appointment_id}\tunit={k.logical_address}\tperson={person}\t"
        f"attempts={entry.attempts}" + ("\tPARKED" if entry.parked else "")
    )
    if entry.last_error:
        line += f"\terror={entry.last_error!r}"
    return line


def cmd_outbox_list(args: argparse.Namespace) -> int:
    from riv_scheduling.store import outbox

    store = _store(args.db)
    try:
        found = outbox.entries(store, parked_only=args.parked, limit=args.limit)
    finally:
        store.dispose()
    for entry in found:
        print(describe(entry))
    if not found:
        print("the outbox is empty" if not args.parked else "nothing is parked", file=sys.stderr)
    return 0


def cmd_outbox_retry(args: argparse.Namespace) -> int:
    from riv_scheduling.store import outbox

    if not args.all and not args.id:
        print("riv-scheduling outbox retry: name entries (--id) or --all", file=sys.stderr)
        return 2
    store = _store(args.db)
    try:
        count = outbox.retry(store, None if args.all else args.id)
    finally:
        store.dispose()
    print(f"re-queued {count} parked entr{'y' if count == 1 else 'ies'}")
    return 0


def add_endpoint_options(p: argparse.ArgumentParser) -> None:
    from riv_scheduling.contract.engagement_index import MAX_TRANSACTIONS_PER_UPDATE, NATIONAL_EI_LOGICAL_ADDRESS

    p.add_argument("--ei-url", required=True, help="the EI Update endpoint (through the platform), http(s)://...")
    p.add_argument("--ei-logical-address", default=NATIONAL_EI_LOGICAL_ADDRESS,
                   help=f"LogicalAddress of the EI (default {NATIONAL_EI_LOGICAL_ADDRESS}, Inera; check TAK)")
    p.add_argument("--ei-cert", metavar="FILE", help="client certificate (PEM) for mutual TLS")
    p.add_argument("--ei-key", metavar="FILE", help="client private key (PEM)")
    p.add_argument("--ei-ca", metavar="FILE", help="CA certificates (PEM) for the endpoint (default: system)")
    p.add_argument("--ei-timeout", type=float, default=30.0, help="seconds to connect and to wait (default 30)")
    p.add_argument("--batch-size", type=int, default=MAX_TRANSACTIONS_PER_UPDATE,
                   help=f"transactions per Update call (1-{MAX_TRANSACTIONS_PER_UPDATE}, default the maximum)")
    p.add_argument("--max-attempts", type=int, default=10, help="failed attempts before an entry is parked")
    p.add_argument("--backoff-base", type=float, default=2.0, help="seconds to wait after the first failure")
    p.add_argument("--backoff-max", type=float, default=600.0, help="longest wait between attempts (s)")
    p.add_argument("--lease", type=float, default=120.0,
                   help="seconds a claim lasts (default 120; at least twice --ei-timeout plus 2)")
    p.add_argument("--sweep-every", type=float, default=60.0,
                   help="seconds between sweeps of bookings whose start has passed (default 60)")


def register(subparsers: Any) -> None:
    deliver = subparsers.add_parser(
        "deliver", help="send the Engagemangsindex outbox (Update calls) until stopped",
        description="Sends the EI transactions recorded with each booking change in batched Update calls, "
        "at least once and in order per appointment; retries with backoff, parks after --max-attempts. "
        "Several deliverers may run at once. Also turns bookings whose start has passed into deletes.",
    )
    deliver.add_argument("--once", action="store_true", help="one sweep and what is due now, then exit")
    deliver.add_argument("--db", default=None, help=DB_HELP)
    deliver.add_argument("--metrics-port", type=int, default=None,
                         help="serve the deliverer's counters at http://HOST:PORT/metrics (Prometheus)")
    deliver.add_argument("--metrics-host", default="127.0.0.1", help="address for --metrics-port")
    add_endpoint_options(deliver)
    deliver.set_defaults(func=cmd_deliver)

    box = subparsers.add_parser("outbox", help="the Engagemangsindex outbox: status, list, retry")
    box_sub = box.add_subparsers(dest="outbox_command", required=True)
    st = box_sub.add_parser("status", help="depth, age of the oldest entry, parked and retrying entries")
    st.add_argument("--db", default=None, help=DB_HELP)
    st.set_defaults(func=cmd_outbox_status)
    ls = box_sub.add_parser("list", help="the entries (identity numbers masked), parked ones with why")
    ls.add_argument("--parked", action="store_true", help="only parked entries")
    ls.add_argument("--limit", type=int, default=100)
    ls.add_argument("--db", default=None, help=DB_HELP)
    ls.set_defaults(func=cmd_outbox_list)
    rt = box_sub.add_parser("retry", help="re-queue parked entries for delivery")
    rt.add_argument("--id", type=int, action="append", help="an entry id (repeatable)")
    rt.add_argument("--all", action="store_true", help="every parked entry")
    rt.add_argument("--db", default=None, help=DB_HELP)
    rt.set_defaults(func=cmd_outbox_retry)
