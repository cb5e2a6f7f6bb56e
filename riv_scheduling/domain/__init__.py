"""The booking domain: model, rules and ports. Pure Python, no I/O.

The SOAP layer calls `Scheduling`; the store implements `UnitOfWork`.
"""

from .clock import (
    STOCKHOLM,
    from_local,
    local_date,
    stockholm_now,
    to_local,
    to_stockholm,
    to_utc,
)
from .model import (
    HSA_ID_OID,
    PERSONNUMMER_OID,
    SAMORDNINGSNUMMER_OID,
    Actor,
    Appointment,
    AppointmentState,
    AppointmentStatus,
    AppointmentView,
    AvailableDate,
    Code,
    HealthcareFacility,
    PersonId,
    Practitioner,
    Timeslot,
    TimeslotQuery,
    TimeslotView,
    TimeType,
)
from .ports import (
    AppointmentRepository,
    FacilityRepository,
    PractitionerRepository,
    TimeslotRepository,
    TimeTypeRepository,
    UnitOfWork,
)
from .result_codes import DomainError, ResultCode, UnknownHealthcareFacility
from .services import Clock, Scheduling
from .setup import ClinicSetup, SetupError

__all__ = [
    "HSA_ID_OID",
    "PERSONNUMMER_OID",
    "SAMORDNINGSNUMMER_OID",
    "STOCKHOLM",
    "Actor",
    "Appointment",
    "AppointmentRepository",
    "AppointmentState",
    "AppointmentStatus",
    "AppointmentView",
    "AvailableDate",
    "ClinicSetup",
    "Clock",
    "Code",
    "DomainError",
    "FacilityRepository",
    "HealthcareFacility",
    "PersonId",
    "Practitioner",
    "PractitionerRepository",
    "ResultCode",
    "Scheduling",
    "SetupError",
    "TimeType",
    "TimeTypeRepository",
    "Timeslot",
    "TimeslotQuery",
    "TimeslotRepository",
    "TimeslotView",
    "UnitOfWork",
    "UnknownHealthcareFacility",
    "from_local",
    "local_date",
    "stockholm_now",
    "to_local",
    "to_stockholm",
    "to_utc",
]
