"""riv-scheduling: a RIV-TA producer for riv.supportprocess.logistics.scheduling 2.0."""

__version__ = "0.1.0"
