"""Clinic-side tools: the declarative configuration file and the clinic's commands.

`apply_config(store, path)` makes the database match a TOML file (docs/configuration.md);
`commands.register(subparsers)` adds `load`, `propose`, `withdraw` and `assign` to a CLI.
"""

from .apply import Summary, apply_config, apply_definitions, apply_to
from .config import ClinicConfig, ConfigError, OpeningHours, UnitConfig, load_config, parse_config, timeslot_id

__all__ = [
    "ClinicConfig",
    "ConfigError",
    "OpeningHours",
    "Summary",
    "UnitConfig",
    "apply_config",
    "apply_definitions",
    "apply_to",
    "load_config",
    "parse_config",
    "timeslot_id",
]
