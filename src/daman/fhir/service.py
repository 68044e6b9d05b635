"""FHIR use cases over the domains: submit, cancel, reprocess and read claims, check
rights, explain benefits, reconcile payments. Valuing is the counter's (the same engine,
idempotency and scope rules as the REST API); this module only reads and writes FHIR."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.adjudication import service as adjudication
from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims import service as claims
from daman.claims.models import ClaimStatus
from daman.core.dates import now, today
from daman.core.errors import Conflict, DamanError, NotFound
from daman.counter import service as counter
from daman.fhir import claim_in, claim_out, codes, directory, repository
from daman.fhir.models import FhirSubmission, SubmissionKind
from daman.fhir.outcome import FhirError, from_domain
from daman.fhir.parse import emit, mad
from daman.payments import documents as payment_documents
from daman.payments import service as payments
from daman.payments.models import PayeeKind
from daman.preauth import repository as preauth_repo
from daman.preauth import service as preauth
from daman.preauth.schemas import PreauthIn

PREAUTH_ROLES = frozenset({Role.PROVIDER, Role.AGENT})


def _identifier_of(session: Session, number: str) -> str | None:
    return session.scalars(
        select(FhirSubmission.identifier).where(FhirSubmission.number == number).limit(1)
    ).first()


def submitted_number(session: Session, who: Principal, identifier: str) -> str | None:
    """The care sheet or pre-authorisation a Claim of this identifier (system|value) sent
    by ``who`` became."""
    return session.scalars(
        select(FhirSubmission.number).where(
            FhirSubmission.submitter == who.actor, FhirSubmission.identifier == identifier
        )
    ).first()


def submit(session: Session, body: bytes, who: Principal, lang: str) -> tuple[dict[str, Any], bool]:
    """Claim/$submit: a care sheet valued now, or a pre-authorisation request estimated now.
    The same identifier from the same submitter answers the first ClaimResponse (False)."""
    sub = claim_in.read(session, body)
    first = session.scalars(
        select(FhirSubmission).where(
            FhirSubmission.submitter == who.actor, FhirSubmission.identifier == sub.identifier
        )
    ).one_or_none()
    if first is not None:
        if first.request_hash != sub.digest:
            raise FhirError.one(
                "duplicate",
                f"identifier {sub.identifier} was already used for {first.number}, with "
                "other content: a new Claim needs a new identifier",
                f"{sub.root}.identifier",
                status=409,
            )
        return read_response(session, first.number, who, lang), False
    try:
        if sub.use == "claim":
            assert not isinstance(sub.draft, PreauthIn)
            key = "fhir:" + hashlib.sha256(sub.identifier.encode()).hexdigest()
            claim, created = counter.submit_claim(
                session, sub.draft, actor=who.actor, idempotency_key=key, who=who
            )
            number, kind = claim.number, SubmissionKind.CLAIM
        else:
            assert isinstance(sub.draft, PreauthIn)
            if not who.unrestricted and who.role not in PREAUTH_ROLES:
                raise FhirError.one(
                    "forbidden",
                    f"role {who.role.value} may not ask for a pre-authorisation",
                    f"{sub.root}.use",
                    status=403,
                )
            number = counter.request_preauth(session, sub.draft, who).number
            kind, created = SubmissionKind.PREAUTH, True
    except DamanError as exc:
        raise from_domain(exc, sub.path_of) from exc
    session.add(
        FhirSubmission(
            submitter=who.actor,
            identifier=sub.identifier,
            kind=kind,
            number=number,
            request_hash=sub.digest,
            created_at=now(),
        )
    )
    session.flush()
    return read_response(session, number, who, lang), created


def read_response(session: Session, number: str, who: Principal, lang: str) -> dict[str, Any]:
    """ClaimResponse/{id}: a care sheet (F...) or a pre-authorisation (PA...)."""
    number = number.strip().upper()
    identifier = _identifier_of(session, number)
    if number.startswith("PA"):
        row = preauth_repo.by_number(session, number, who)
        return claim_out.preauth_response(preauth.preauth_out(session, row, lang, who), identifier)
    claim = claims.get(session, number, who)
    return claim_out.claim_response(claims.claim_out(session, claim, lang, who), identifier)


class ClaimNotCancellable(Conflict):
    code = "claim_not_cancellable"


# Why a care sheet cannot be withdrawn, by its status: the REST API has no way to cancel
# one either (it is valued on arrival; the fund corrects it by review, and a claim
# approved for payment takes nothing more, as its document requests say: claim_closed).
_NOT_CANCELLABLE = {
    ClaimStatus.RECEIVED: "is queued for valuing and will be valued as sent",
    ClaimStatus.PENDING_REVIEW: "was valued and waits for a controller's review",
    ClaimStatus.ADJUDICATED: "was valued when it arrived",
    ClaimStatus.APPROVED: "is approved for payment",
    ClaimStatus.IN_PAYMENT: "is in a payment batch",
    ClaimStatus.PAID: "is paid",
}


def cancel(session: Session, number: str, who: Principal, lang: str) -> dict[str, Any]:
    """Claim/{id}/$cancel: a pre-authorisation not answered yet is withdrawn (the REST
    API's cancel: 409 preauth_not_open once answered); a care sheet never is (409
    claim_not_cancellable, saying where it stands): the fund corrects it by review."""
    number = number.strip().upper()
    try:
        if not number.startswith("PA"):
            claim = claims.get(session, number, who)  # 404 when out of scope
            raise ClaimNotCancellable(
                f"care sheet {claim.number} {_NOT_CANCELLABLE[claim.status]}: it cannot be "
                "cancelled; ask the fund to review its lines"
            )
        preauth.cancel(session, number, who, "cancelled through FHIR Claim/$cancel")
    except DamanError as exc:
        raise from_domain(exc) from exc
    return read_response(session, number, who, lang)


def reprocess(session: Session, number: str, who: Principal, lang: str) -> dict[str, Any]:
    """Claim/{id}/$reprocess: value a care sheet still waiting to be valued; otherwise the
    decision as it stands (decided lines change only through a controller's review)."""
    number = number.strip().upper()
    if not number.startswith("PA"):
        claim = claims.get(session, number, who)
        if claim.status == ClaimStatus.RECEIVED:
            adjudication.value(session, [claim.id], who.actor)
    return read_response(session, number, who, lang)


def _number(text: str) -> str:
    return text.rsplit("/", 1)[-1].strip().upper()


def _code_param(params: dict[str, str], name: str, allowed: frozenset[str]) -> str | None:
    value = params.get(name)
    if value is not None and value not in allowed:
        raise FhirError.one(
            "code-invalid",
            f"{value!r} is not in the value set ({', '.join(sorted(allowed))})",
            name,
        )
    return value


def search_responses(
    session: Session, params: dict[str, str], who: Principal, lang: str, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """ClaimResponse?_id=|request=|request:identifier=|patient=|use=|status=: the care
    sheets (use claim, always active) and pre-authorisations (use preauthorization,
    cancelled once withdrawn) ``who`` may see; care sheets first, newest first."""
    status = _code_param(params, "status", codes.FINANCIAL_STATUS)
    use = _code_param(params, "use", codes.CLAIM_USE)
    wanted = params.get("_id") or params.get("request")
    if identifier := params.get("request:identifier"):
        wanted = session.scalars(
            select(FhirSubmission.number).where(FhirSubmission.identifier == identifier).limit(1)
        ).first()
        if wanted is None:
            return [], 0
    if wanted:
        try:
            found = [read_response(session, _number(wanted), who, lang)]
        except NotFound:
            found = []
        found = [r for r in found if status in (None, r["status"]) and use in (None, r["use"])]
        return found, len(found)
    patient = _number(params["patient"]) if params.get("patient") else None
    want_claims = use in (None, "claim") and status in (None, "active")
    want_preauths = use in (None, "preauthorization") and status in (None, "active", "cancelled")
    numbers: list[str] = []
    total = 0
    if want_claims:
        rows, total = claims.page(
            session, patient=patient, status=None, limit=limit, offset=offset, who=who
        )
        numbers = [r.number for r in rows]
    if want_preauths:
        cancelled = None if status is None else status == "cancelled"
        skip = max(0, offset - total)
        more, preauth_total = repository.preauth_numbers(
            session,
            who,
            patient=patient,
            cancelled=cancelled,
            limit=max(0, limit - len(numbers)),
            offset=skip,
        )
        numbers += more
        total += preauth_total
    return [read_response(session, n, who, lang) for n in numbers], total


def explanations(
    session: Session, patient: str | None, who: Principal, lang: str, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    rows, total = claims.page(
        session, patient=patient, status=None, limit=limit, offset=offset, who=who
    )
    return [explanation(session, r.number, who, lang) for r in rows], total


def explanation(session: Session, number: str, who: Principal, lang: str) -> dict[str, Any]:
    claim = claims.get(session, number, who)
    return claim_out.explanation_of_benefit(claims.claim_out(session, claim, lang, who))


def payment_reconciliation(session: Session, reference: str, who: Principal) -> dict[str, Any]:
    """One transfer of a payment batch to one payee, with the claims it pays (providers)."""
    transfer = payments.transfer_out(session, reference, who)
    details: list[dict[str, Any]] = []
    if transfer.payee_kind == PayeeKind.PROVIDER:
        advice = payment_documents.remittance(session, reference, who)
        details = [
            {
                "identifier": {"system": codes.CLAIM_NUMBER, "value": c.number},
                "type": {"coding": [{"system": f"{codes.HL7}/payment-type", "code": "payment"}]},
                "request": {"reference": f"Claim/{c.number}"},
                "response": {"reference": f"ClaimResponse/{c.number}"},
                "date": c.deposit_date.isoformat(),
                "amount": mad(c.paid_centimes),
            }
            for c in advice.claims
        ]
    outcome = "complete" if transfer.status.value in ("settled", "pending") else "partial"
    if transfer.status.value == "rejected":
        outcome = "error"
    payee_kind = "Organization" if transfer.payee_kind == PayeeKind.PROVIDER else "Patient"
    data: dict[str, Any] = {
        "resourceType": "PaymentReconciliation",
        "id": transfer.reference,
        "identifier": [{"system": codes.TRANSFER, "value": transfer.reference}],
        "status": "active",
        "created": (transfer.settled_at or transfer.rejected_at or now()).isoformat(),
        "paymentIssuer": directory.fund_reference(),
        "outcome": outcome,
        "disposition": f"batch {transfer.batch}: transfer {transfer.status.value}"
        + (f" ({transfer.return_code} {transfer.return_reason})" if transfer.return_code else ""),
        "paymentDate": (transfer.settled_at.date() if transfer.settled_at else today()).isoformat(),
        "paymentAmount": mad(transfer.amount_centimes),
        "paymentIdentifier": {"system": codes.TRANSFER, "value": transfer.reference},
        "requestor": {"reference": f"{payee_kind}/{transfer.payee}"},
        "detail": details or None,
    }
    return emit({k: v for k, v in data.items() if v is not None})
