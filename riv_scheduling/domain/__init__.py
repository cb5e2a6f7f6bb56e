"""The booking domain: model, rules and ports. Pure Python, no I/O.

The SOAP layer calls the use cases of `Scheduling` (scheduling.search, .booking, .rebooking,
.cancellation, .confirmation, .reading); every booking rule is in `BookingPolicy`; the store
implements `UnitOfWork`.
"""

from .appointments import booking_result
from .audit import AuditAction, AuditEvent
from .audit_trail import AuditTrail
from .booking import Booking
from .cancellation import Cancellation
from .clock import (
    STOCKHOLM,
    Clock,
    from_local,
    local_date,
    stockholm_now,
    to_local,
    to_stockholm,
    to_utc,
)
from .confirmation import Confirmation
from .model import (
    HSA_ID_OID,
    PERSONNUMMER_OID,
    SAMORDNINGSNUMMER_OID,
    SNOMED_CT_OID,
    Actor,
    Appointment,
    AppointmentRule,
    AppointmentState,
    AppointmentStatus,
    AppointmentView,
    Assignment,
    AvailableDate,
    BookingLimits,
    Code,
    HealthcareFacility,
    HealthcareService,
    Information,
    InvitationView,
    OpenInvitation,
    PersonId,
    Practitioner,
    Process,
    ReasonRequired,
    Reference,
    Resource,
    Timeslot,
    TimeslotDescription,
    TimeslotQuery,
    TimeslotView,
    TimeType,
)
from .policy import BookingPolicy, Flow, check_reason
from .ports import (
    AppointmentRepository,
    AssignmentRepository,
    AuditRepository,
    FacilityRepository,
    HealthcareServiceRepository,
    OpenInvitationRepository,
    PractitionerRepository,
    TimeslotRepository,
    TimeTypeRepository,
    UnitOfWork,
)
from .reading import Reading
from .rebooking import Rebooking
from .result_codes import DomainError, ResultCode, UnknownHealthcareFacility
from .retry import RETRY_WINDOW
from .search import Search, SearchLimits
from .services import Scheduling
from .setup import ClinicSetup, SetupError

__all__ = [
    "booking_result",
    "HSA_ID_OID",
    "PERSONNUMMER_OID",
    "SAMORDNINGSNUMMER_OID",
    "SNOMED_CT_OID",
    "STOCKHOLM",
    "Actor",
    "Appointment",
    "AppointmentRepository",
    "AppointmentRule",
    "AppointmentState",
    "AppointmentStatus",
    "AppointmentView",
    "Assignment",
    "AuditAction",
    "AuditEvent",
    "AuditRepository",
    "AuditTrail",
    "AssignmentRepository",
    "AvailableDate",
    "Booking",
    "BookingLimits",
    "BookingPolicy",
    "Cancellation",
    "ClinicSetup",
    "Clock",
    "Code",
    "Confirmation",
    "DomainError",
    "FacilityRepository",
    "Flow",
    "HealthcareFacility",
    "HealthcareService",
    "HealthcareServiceRepository",
    "Information",
    "InvitationView",
    "OpenInvitation",
    "OpenInvitationRepository",
    "PersonId",
    "Practitioner",
    "PractitionerRepository",
    "Process",
    "RETRY_WINDOW",
    "ReasonRequired",
    "Reading",
    "Rebooking",
    "Reference",
    "Resource",
    "ResultCode",
    "Scheduling",
    "Search",
    "SearchLimits",
    "SetupError",
    "TimeType",
    "TimeTypeRepository",
    "Timeslot",
    "TimeslotDescription",
    "TimeslotQuery",
    "TimeslotRepository",
    "TimeslotView",
    "UnitOfWork",
    "UnknownHealthcareFacility",
    "check_reason",
    "from_local",
    "local_date",
    "stockholm_now",
    "to_local",
    "to_stockholm",
    "to_utc",
]
