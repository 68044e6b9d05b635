"""Imports every table so that Alembic and the tests see the whole schema."""

from daman.adjudication.models import AdjudicationChunk, ReviewItem
from daman.auth.audit import AuditEntry
from daman.auth.models import AccessToken, ReadLog, User
from daman.claims.models import Claim, ClaimDocument, ClaimLine, ClaimStatusEvent, LineDecision
from daman.core.db import Base
from daman.core.identifiers import Counter
from daman.exemptions.models import AldExemptionRequest, AldRequestDocument, AldRequestEvent
from daman.fhir.models import FhirSubmission
from daman.hcx.models import HcxCycle, HcxPartner
from daman.notifications.models import Notification
from daman.payments.models import (
    PaymentBatch,
    PaymentHold,
    PaymentItem,
    PaymentReturn,
    PaymentTransfer,
)
from daman.preauth.models import (
    PreauthDocument,
    PreauthEvent,
    PreauthInvoice,
    PreauthLine,
    PreauthRequest,
    PreauthRequirement,
)
from daman.providers.models import Provider
from daman.reference.models import (
    ActTariff,
    AdjudicationPolicy,
    Agency,
    AldDisease,
    Ceiling,
    ComplementaryRate,
    CoverageRate,
    Drug,
    DrugPrice,
    ImportRun,
    Mutual,
    Regime,
    RightsRule,
)
from daman.registry.models import (
    Affiliation,
    AldExemption,
    Contribution,
    DependentLink,
    Employer,
    Person,
    StudentProof,
)

__all__ = [
    "AccessToken",
    "ActTariff",
    "AdjudicationChunk",
    "AdjudicationPolicy",
    "Affiliation",
    "Agency",
    "AldDisease",
    "AldExemption",
    "AldExemptionRequest",
    "AldRequestDocument",
    "AldRequestEvent",
    "AuditEntry",
    "Base",
    "Ceiling",
    "Claim",
    "ClaimDocument",
    "ClaimLine",
    "ClaimStatusEvent",
    "ComplementaryRate",
    "Contribution",
    "Counter",
    "CoverageRate",
    "DependentLink",
    "Drug",
    "DrugPrice",
    "Employer",
    "FhirSubmission",
    "HcxCycle",
    "HcxPartner",
    "ImportRun",
    "LineDecision",
    "Mutual",
    "Notification",
    "PaymentBatch",
    "PaymentHold",
    "PaymentItem",
    "PaymentReturn",
    "PaymentTransfer",
    "Person",
    "PreauthDocument",
    "PreauthEvent",
    "PreauthInvoice",
    "PreauthLine",
    "PreauthRequest",
    "PreauthRequirement",
    "Provider",
    "ReadLog",
    "Regime",
    "ReviewItem",
    "RightsRule",
    "StudentProof",
    "User",
]
