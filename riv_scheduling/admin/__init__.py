"""The staff web tool: texts and conditions with preview, booking rules, invitations, support
look-up and statistics (`riv-scheduling admin`). Every change goes through the clinic
configuration code of `riv-scheduling load` (editing.py) and is audited."""

from .app import Settings, create_admin_app
from .stats import AuditTrailStats, Statistics, StatsSource

__all__ = ["AuditTrailStats", "Settings", "Statistics", "StatsSource", "create_admin_app"]
