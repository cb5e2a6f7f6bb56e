"""The statistics page: bars as server-rendered SVG with the numbers beside them."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, render_template, request

from riv_scheduling.domain import local_date, stockholm_now

from . import web
from .stats import StatsSource

blueprint = Blueprint("stats", __name__)

ACTIONS = {"made": "Bokningar", "rebooked": "Ombokningar", "cancelled": "Avbokningar", "confirmed": "Bekräftelser",
           "proposed": "Föreslagna tider", "refused": "Nekade"}
MAX_DAYS = 366


def _date(name: str, default: date) -> date:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, f"Ogiltigt datum {value!r}: skriv ÅÅÅÅ-MM-DD.")


def bars(counts: Counter[Any], labels: dict[Any, str] | None = None) -> list[dict[str, Any]]:
    """Rows for a bar chart: label, count, and bar width in per cent of the largest."""
    top = max(counts.values(), default=0) or 1
    return [{"label": (labels or {}).get(k, " / ".join(map(str, k)) if isinstance(k, tuple) else str(k)),
             "count": n, "width": round(100 * n / top, 1)} for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]


@blueprint.get("/statistik")
def page() -> str:
    today = local_date(stockholm_now())
    end = _date("till", today)
    start = _date("fran", end - timedelta(days=29))
    if start > end or (end - start).days >= MAX_DAYS:
        abort(400, f"Välj en period där från-datumet ligger före till-datumet och som är högst {MAX_DAYS} dagar.")
    source: StatsSource | None = web.extension("stats")
    if source is None:
        abort(404, "Statistiken är inte tillgänglig i den här installationen.")
    staff = web.staff()
    units = None if staff.role.value == "regional" else staff.units
    stats = source.statistics(start, end, units)
    per_action: Counter[str] = Counter()
    per_type: dict[str, Counter[str]] = {a: Counter() for a in ACTIONS}
    per_day: dict[str, Counter[date]] = {a: Counter() for a in ACTIONS}
    for (day, action, code), n in stats.per_day.items():
        per_action[action] += n
        if action in ACTIONS:
            per_type[action][code] += n
            per_day[action][day] += n
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return render_template(
        "stats.html", start=start, end=end, actions=ACTIONS, totals=bars(per_action, ACTIONS),
        per_type={a: bars(c) for a, c in per_type.items() if c},
        per_day={a: [{"label": d.isoformat(), "count": per_day[a][d]} for d in days] for a in ACTIONS if per_day[a]},
        day_max={a: max(per_day[a].values(), default=1) for a in ACTIONS},
        result_codes=bars(stats.result_codes), reasons=bars(stats.reasons),
    )
