"""The first-free fan-out over ten producer processes (issue #15).

    .venv/bin/python bench/first_free.py [--rounds 7] [--json FILE]

Starts 11 real producer processes (tests/firstfree/fleet.py: 10 with 5 units each, different
opening hours, plus the slow one, a copy of producer 07 answering 2 s late), then measures:

1. the fan-out over the 10 healthy producers (50 units) against each producer asked alone through
   the same client code: ratio = median fan-out wall time / the slowest producer's median own
   answer time (target <= 1.2);
2. the fan-out with producer 07 replaced by the slow one, deadline 1 s and 5 s: the slow
   producer's deadline bounds the total.

Loopback only; stops by itself in well under 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

# bench/http.py would shadow the standard library's http (httpx imports http.client): the fleet's
# folder takes the script folder's place on the path.
sys.path[0] = str(Path(__file__).resolve().parents[1] / "tests" / "firstfree")

from fleet import SERVICE, SLOW, SLOW_SECONDS, Spec, clinic, fleet_specs, start_all, unit_id  # noqa: E402

from riv_scheduling.client import Need, ProducerEntry, Status, search  # noqa: E402

NEED = Need(healthcare_service_code=SERVICE, start=date.today() + timedelta(days=1), days=3)


def entries(urls: list[str]) -> list[ProducerEntry]:
    return [ProducerEntry(f"producer{i:02d}", url, tuple(unit_id(i, u) for u in range(5)))
            for i, url in enumerate(urls)]


async def timed(producers: list[ProducerEntry], deadline: float = 10.0) -> tuple[float, list[Status]]:
    began = time.perf_counter()
    found = await search(producers, NEED, limit=10, deadline=deadline)
    return time.perf_counter() - began, [r.status for r in found.producers]


async def measure(urls: list[str], slow_url: str, rounds: int) -> dict[str, object]:
    healthy = entries(urls)
    await timed(healthy)  # warm-up: every producer has loaded its configuration cache
    fan, single = [], {p.name: [] for p in healthy}
    for _ in range(rounds):
        seconds, statuses = await timed(healthy)
        assert all(s is Status.ANSWERED for s in statuses), statuses
        fan.append(seconds)
        for p in healthy:  # each producer alone, the same client code
            single[p.name].append((await timed([p]))[0])
    own = {name: statistics.median(v) for name, v in single.items()}
    slowest = max(own, key=own.__getitem__)
    floor = sum(own.values()) / (os.cpu_count() or 1)
    with_slow = [replace(p, url=slow_url) if i == SLOW else p for i, p in enumerate(healthy)]
    bounded = {}
    for deadline in (1.0, 5.0):
        seconds, statuses = await timed(with_slow, deadline)
        bounded[deadline] = {"seconds": round(seconds, 3), "slow_status": statuses[SLOW].value}
    return {
        "rounds": rounds,
        "fanout_median_s": round(statistics.median(fan), 4),
        "fanout_all_s": [round(x, 4) for x in fan],
        "single_median_s": {k: round(v, 4) for k, v in own.items()},
        "slowest_single": slowest,
        "ratio": round(statistics.median(fan) / own[slowest], 3),
        # All producers share this machine's cores: the fan-out cannot finish before their summed own
        # answer times spread over the cores (the floor when producers are local, not remote).
        "cores": os.cpu_count(),
        "shared_cores_floor_s": round(floor, 4),
        "ratio_to_floor": round(statistics.median(fan) / max(own[slowest], floor), 3),
        "with_slow_producer": {f"deadline {k:g} s": v for k, v in bounded.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    specs = [replace(s, delay=0.0) for s in fleet_specs()] + [Spec("slow07", clinic(SLOW), SLOW_SECONDS)]
    with tempfile.TemporaryDirectory() as folder, start_all(Path(folder), specs) as running:
        result = asyncio.run(measure([r.url for r in running[:10]], running[10].url, args.rounds))
    print(f"fan-out over 10 producers (50 units), median of {args.rounds}: {result['fanout_median_s']} s")
    print(f"slowest producer alone ({result['slowest_single']}): "
          f"{result['single_median_s'][result['slowest_single']]} s")  # type: ignore[index]
    print(f"ratio: {result['ratio']} (target <= 1.2)")
    print(f"summed own answer times over {result['cores']} cores: {result['shared_cores_floor_s']} s; "
          f"ratio to max(slowest, that floor): {result['ratio_to_floor']}")
    for name, v in result["with_slow_producer"].items():  # type: ignore[attr-defined]
        print(f"with producer 07 slow by {SLOW_SECONDS:g} s, {name}: total {v['seconds']} s, slow one: "
              f"{v['slow_status']}")
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
