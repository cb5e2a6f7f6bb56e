"""A consumer of any scheduling producer: first free times by need over many producers.

`search` / `first_free` fan out GetAvailableTimeslots (and GetHealthcareFacilities for a catalogue
unit) concurrently with a deadline per producer and merge the first K free times; `book_first` books
the first one still free. Like the conformance kit it loads none of the producer's code (the layer
rule in pyproject.toml). The command is `riv-scheduling first-free` (docs/first-free.md).
"""

from .booking import Attempt, Booked, book_first, masked
from .envelopes import Slot, SoapFault
from .fanout import DEFAULT_DEADLINE, FirstFree, FreeTime, Need, ProducerReport, Status, first_free, search
from .producers import ProducerEntry, ProducersFileError, load_producers, parse_producers

__all__ = [
    "DEFAULT_DEADLINE",
    "Attempt",
    "Booked",
    "FirstFree",
    "FreeTime",
    "Need",
    "ProducerEntry",
    "ProducerReport",
    "ProducersFileError",
    "Slot",
    "SoapFault",
    "Status",
    "book_first",
    "first_free",
    "load_producers",
    "masked",
    "parse_producers",
    "search",
]
