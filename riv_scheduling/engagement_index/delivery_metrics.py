"""The deliverer's counters in the Prometheus format (`riv-scheduling deliver --metrics-port`); the
outbox's depth, oldest age and parked entries are on the producer's /metrics (riv_scheduling/metrics.py)."""

from __future__ import annotations

from typing import Any


class DeliveryMetrics:
    """The deliverer's counters (`riv-scheduling deliver --metrics-port`)."""

    def __init__(self) -> None:
        from prometheus_client import Counter

        self.delivered = Counter("riv_ei_delivered", "EI transactions the EI accepted")
        self.failures = Counter("riv_ei_delivery_failures", "EI transactions in a failed Update call")
        self.parked = Counter("riv_ei_parked", "EI transactions parked after max attempts")
        self.calls = Counter("riv_ei_update_calls", "Update calls made")

    def __call__(self, result: Any) -> None:
        self.delivered.inc(result.sent)
        self.failures.inc(result.failed)
        self.parked.inc(result.parked)
        self.calls.inc(result.calls)
