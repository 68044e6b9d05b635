"""Imports every table so that Alembic and the tests see the whole schema."""

from daman.accounts.models import SignInCode
from daman.adjudication.models import AdjudicationChunk, ReviewItem
from daman.auth.audit import AuditEntry
from daman.auth.models import AccessToken, ReadLog, User
from daman.claims.models import Claim, ClaimDocument, ClaimLine, ClaimStatusEvent, LineDecision
from daman.contributions.collection.models import (
    BankImport,
    CollectionItem,
    CollectionRun,
    Declaration,
    EmployerUser,
    Mandate,
    MemberCategory,
)
from daman.contributions.ledger.models import (
    Allocation,
    Call,
    CallEvent,
    CallLine,
    Entry,
    PayerAccount,
    Receipt,
)
from daman.core.db import Base
from daman.core.identifiers import Counter
from daman.exemptions.models import AldExemptionRequest, AldRequestDocument, AldRequestEvent
from daman.fhir.models import FhirSubmission
from daman.hcx.models import HcxCycle, HcxPartner
from daman.notifications.models import Notification, SmsMessage
from daman.payments.models import (
    PaymentBatch,
    PaymentHold,
    PaymentItem,
    PaymentReturn,
    PaymentTransfer,
)
from daman.portal.models import DecisionNotice, DecisionRead, Message, NoticeMark
from daman.preauth.models import (
    PreauthDocument,
    PreauthEvent,
    PreauthInvoice,
    PreauthLine,
    PreauthRequest,
    PreauthRequirement,
)
from daman.prescriptions.models import (
    DispensedBox,
    Dispensing,
    Prescription,
    PrescriptionLine,
)
from daman.providers.models import Provider
from daman.reference.contribution_rules import (
    ChamilBand,
    CollectionRule,
    ContributionRate,
    TnsCategory,
    TnsReferenceIncome,
)
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
    "Allocation",
    "AuditEntry",
    "BankImport",
    "Base",
    "Call",
    "CallEvent",
    "CallLine",
    "Ceiling",
    "ChamilBand",
    "Claim",
    "ClaimDocument",
    "ClaimLine",
    "ClaimStatusEvent",
    "CollectionItem",
    "CollectionRule",
    "CollectionRun",
    "ComplementaryRate",
    "Contribution",
    "ContributionRate",
    "Counter",
    "CoverageRate",
    "DecisionNotice",
    "DecisionRead",
    "Declaration",
    "DependentLink",
    "DispensedBox",
    "Dispensing",
    "Drug",
    "DrugPrice",
    "Employer",
    "EmployerUser",
    "Entry",
    "FhirSubmission",
    "HcxCycle",
    "HcxPartner",
    "ImportRun",
    "LineDecision",
    "Mandate",
    "MemberCategory",
    "Message",
    "Mutual",
    "NoticeMark",
    "Notification",
    "PayerAccount",
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
    "Prescription",
    "PrescriptionLine",
    "Provider",
    "ReadLog",
    "Receipt",
    "Regime",
    "ReviewItem",
    "RightsRule",
    "SignInCode",
    "SmsMessage",
    "StudentProof",
    "TnsCategory",
    "TnsReferenceIncome",
    "User",
]
