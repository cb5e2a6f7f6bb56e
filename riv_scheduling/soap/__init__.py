"""The SOAP adapter: Spyne services over the generated bindings and the domain core."""

from riv_scheduling import spyne_compat  # noqa: F401  (must be imported before spyne)
