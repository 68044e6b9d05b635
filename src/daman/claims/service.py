"""Claims use cases: submit (store; daman.counter values in the same request), read,
approve, pay.

Status steps (each one a ClaimStatusEvent with who, when and why):

    received -> adjudicated (accepted / partly_accepted / rejected)
             -> pending_review -> adjudicated (once every line under review is decided)
    adjudicated -> approved (for payment) -> paid

**Approval rule:** a claim is approved for payment only when it is adjudicated and has a
payable amount (AMO + complementary > 0). A rejected claim, or one whose lines all came
to 0, stays adjudicated: there is nothing to pay and its decision is final. A claim
whose document request is still open (daman.claims.requests) waits for the document: it
is not approved until the document came and the claim was decided again.
`approve_all` approves every such claim in one statement (the day's run before the
payment batch); `mark_paid` is what the payments domain calls once a payment went out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from daman.auth.access import Principal, log_read
from daman.auth.models import Role
from daman.claims import intake, requests
from daman.claims import repository as repo
from daman.claims.explain import Explainer
from daman.claims.models import (
    Channel,
    Claim,
    ClaimDocument,
    ClaimLine,
    ClaimOutcome,
    ClaimStatus,
    LineStatus,
)
from daman.claims.schemas import (
    ClaimIn,
    ClaimLineOut,
    ClaimOut,
    ClaimSummary,
    DecisionOut,
    StatusEventOut,
    Totals,
)
from daman.core.dates import now
from daman.core.errors import Conflict, FieldError, ValidationFailed
from daman.documents import store
from daman.documents.schemas import DocumentOut
from daman.providers.models import Provider
from daman.registry.repository import person_by_immatriculation


@dataclass(frozen=True)
class Upload:
    """A document sent with a claim: its file name, declared type and bytes."""

    filename: str
    content_type: str | None
    data: bytes


def submit(
    session: Session,
    draft: ClaimIn,
    *,
    actor: str,
    idempotency_key: str | None,
    who: Principal | None = None,
    uploads: Sequence[Upload] = (),
) -> tuple[Claim, bool]:
    """Store a claim and attach the documents sent with it (`received`). Valuing it in the
    same transaction is the counter's part (daman.counter.service.submit_claim).

    A retry with the same Idempotency-Key returns the first claim, as it stands now, and
    False; nothing is stored or attached twice.
    """
    if who is not None:
        _may_submit(session, draft, who)
    claim, created = intake.submit(session, draft, actor=actor, key=idempotency_key)
    if created:
        by = uploaded_by(who)
        for n, up in enumerate(uploads):
            try:
                attach_document(session, claim, up.filename, up.content_type, up.data, actor, **by)
            except ValidationFailed as exc:  # name the file: files[n] (.content_type)
                found = exc.detail
                where = (
                    found if isinstance(found, list) else [FieldError(field="file", reason=found)]
                )
                raise ValidationFailed(
                    [
                        FieldError(
                            field=f"files[{n}]" + ("" if e.field == "file" else f".{e.field}"),
                            reason=e.reason,
                        )
                        for e in where
                    ],
                    code=exc.code,
                ) from exc
    return claim, created


def uploaded_by(who: Principal | None) -> dict[str, Any]:
    """The columns of a claim document naming who uploads it: the provider whose account or
    API key does (a provider sees only the documents it uploaded), None for anyone else."""
    provider = who.provider_id if who is not None and who.role == Role.PROVIDER else None
    return {"provider_id": provider}


def attach_document(
    session: Session,
    claim: Claim,
    filename: str,
    declared_type: str | None,
    data: bytes,
    actor: str,
    provider_id: int | None = None,
) -> tuple[ClaimDocument, bool]:
    """Attach a document to a claim (through the document store: type read from the bytes,
    size capped, kept by checksum); the same bytes twice return the first row (False).
    ``provider_id``: the provider uploading it, when a provider's account or key does."""
    new = partial(ClaimDocument, provider_id=provider_id)
    return store.attach(session, claim.documents, new, filename, declared_type, data, actor)


def _may_submit(session: Session, draft: ClaimIn, who: Principal) -> None:
    """An insured person sends care sheets of their family; a provider, its own care.

    The deposit date and the channel are facts the fund records, not claims the sender
    makes (the 60-day deadline counts from the deposit): only staff keying in paper (and
    the import command) set them; anyone else's claim arrives electronic, deposited the day
    it arrives, and a deposit date or another channel is refused, naming the field.
    """
    errors = []
    if not who.is_staff:
        if draft.deposit_date is not None:
            errors.append(
                FieldError(
                    field="deposit_date",
                    reason="recorded by the fund: a claim you send is deposited the day it "
                    "arrives; leave it out (paper claims are keyed in by the fund's agents)",
                )
            )
        if draft.channel != Channel.ELECTRONIC:
            errors.append(
                FieldError(
                    field="channel",
                    reason=f"recorded by the fund: a claim you send is electronic, not "
                    f"{draft.channel} (paper claims are keyed in by the fund's agents)",
                )
            )
    if who.role == Role.INSURED and who.person_id is not None:
        patient = person_by_immatriculation(session, draft.patient, who)
        if patient is None:
            errors.append(FieldError(field="patient", reason="not you or one of your family"))
    if who.role == Role.PROVIDER and who.provider_id is not None:
        provider = session.get(Provider, who.provider_id)
        own = provider.inpe if provider else None
        errors += [
            FieldError(
                field=f"lines.{i}.provider_inpe",
                reason=f"a provider sends only its own care (INPE {own})",
            )
            for i, line in enumerate(draft.lines)
            if line.provider_inpe.strip() != own
        ]
    if errors:
        raise ValidationFailed(errors)


def check(session: Session, draft: ClaimIn, who: Principal | None = None) -> intake.Lookups:
    """Every reason `submit` would refuse this claim from ``who`` (ValidationFailed), with
    nothing stored: what a dry run checks before the engine values the claim."""
    if who is not None:
        _may_submit(session, draft, who)
    return intake.check(session, draft)


def get(session: Session, number: str, who: Principal | None = None) -> Claim:
    claim = repo.by_number(session, number, who)
    if who is not None:
        log_read(session, who, "claim", claim.number)
    return claim


def page(
    session: Session,
    *,
    patient: str | None,
    status: str | None,
    limit: int,
    offset: int,
    who: Principal | None = None,
) -> tuple[list[ClaimSummary], int]:
    rows, total = repo.page(
        session, patient=patient, status=status, limit=limit, offset=offset, who=who
    )
    return [summary(c, who) for c in rows], total


def approve(session: Session, number: str, actor: str, reason: str = "") -> Claim:
    """Approve one adjudicated claim with a payable amount for payment."""
    claim = repo.by_number(session, number)
    if claim.status != ClaimStatus.ADJUDICATED:
        raise Conflict(
            f"claim {claim.number} is {claim.status}; only adjudicated claims are approved",
            code="claim_not_adjudicated",
        )
    if claim.payable_centimes <= 0:
        raise Conflict(f"claim {claim.number} has nothing to pay", code="nothing_payable")
    if waiting := requests.open_requests(claim):
        raise requests.DocumentAwaited(
            f"claim {claim.number} waits for a document asked for: {'; '.join(waiting)}"
        )
    _move(session, [claim.id], ClaimStatus.ADJUDICATED, ClaimStatus.APPROVED, actor, reason)
    return repo.by_number(session, number)


def approve_all(session: Session, actor: str, reason: str = "") -> int:
    """Approve every adjudicated claim that has something to pay and waits for no
    document; how many were."""
    ids = list(
        session.scalars(
            select(Claim.id).where(
                Claim.status == ClaimStatus.ADJUDICATED,
                Claim.amo_centimes + Claim.complementary_centimes > 0,
                ~requests.awaiting_document(),
            )
        )
    )
    _move(session, ids, ClaimStatus.ADJUDICATED, ClaimStatus.APPROVED, actor, reason)
    return len(ids)


def mark_in_payment(
    session: Session, claim_ids: Sequence[int], actor: str, reason: str = ""
) -> int:
    """approved -> in_payment: queued in a payment batch (called by the payments domain);
    Conflict if one is not approved."""
    _move(session, list(claim_ids), ClaimStatus.APPROVED, ClaimStatus.IN_PAYMENT, actor, reason)
    return len(claim_ids)


def mark_paid(session: Session, claim_ids: Sequence[int], actor: str, reason: str = "") -> int:
    """in_payment -> paid: the bank file carrying the claim's transfer was sent to the bank
    (called by the payments domain); Conflict if one is not in payment."""
    _move(session, list(claim_ids), ClaimStatus.IN_PAYMENT, ClaimStatus.PAID, actor, reason)
    return len(claim_ids)


def mark_returned(session: Session, claim_ids: Sequence[int], actor: str, reason: str = "") -> int:
    """paid -> approved: the bank returned the payment (called by the payments domain), so
    the claim waits for the next batch; Conflict if one is not paid."""
    _move(session, list(claim_ids), ClaimStatus.PAID, ClaimStatus.APPROVED, actor, reason)
    return len(claim_ids)


def _move(
    session: Session,
    ids: list[int],
    before: ClaimStatus,
    after: ClaimStatus,
    actor: str,
    reason: str,
) -> None:
    if not ids:
        return
    at = now()
    for part in repo.chunks(ids):
        result = session.execute(
            update(Claim)
            .where(Claim.id.in_(part), Claim.status == before)
            .values(status=after, updated_at=at, updated_by=actor)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != len(part):  # type: ignore[attr-defined]
            raise Conflict(f"every claim must be {before} to become {after}")
    repo.add_events(
        session, ids, from_status=before, to_status=after, at=at, by=actor, reason=reason
    )


def at_agency(
    session: Session, agency_code: str, limit: int = 10, who: Principal | None = None
) -> list[ClaimSummary]:
    """The latest paper claims handed in at an agency (an agent's own agency first)."""
    return [summary(c, who) for c in repo.at_agency(session, agency_code, limit, who)]


# ---------------------------------------------------------------------------------------
# Views


def summary(claim: Claim, who: Principal | None = None) -> ClaimSummary:
    """The claim's heading as ``who`` may see it: a provider sees the totals and outcome of
    its own lines only (see repository.lines_seen_by)."""
    totals = Totals(
        charged_centimes=claim.charged_centimes,
        base_centimes=claim.base_centimes,
        amo_centimes=claim.amo_centimes,
        complementary_centimes=claim.complementary_centimes,
        patient_centimes=claim.patient_centimes,
    )
    outcome = claim.outcome
    if not repo.sees_whole_claim(who):
        lines = repo.lines_seen_by(claim, who)
        totals = totals_of(lines)
        outcome = outcome_of(lines) if claim.outcome is not None else None
    return ClaimSummary(
        number=claim.number,
        patient=claim.patient.immatriculation,
        channel=claim.channel,
        deposit_date=claim.deposit_date,
        received_at=claim.received_at,
        status=claim.status,
        outcome=outcome,
        totals=totals,
    )


def totals_of(lines: Sequence[ClaimLine]) -> Totals:
    """Totals of some lines of a claim, by the claim's own rule (adjudication.service): a
    line pending review adds to what was charged, not yet to what is paid."""
    decided = [ln for ln in lines if ln.status != LineStatus.PENDING_REVIEW]
    charged = sum(ln.charged_centimes for ln in lines)
    amo = sum(ln.amo_centimes or 0 for ln in decided)
    complementary = sum(ln.complementary_centimes or 0 for ln in decided)
    return Totals(
        charged_centimes=charged,
        base_centimes=sum(ln.base_centimes or 0 for ln in lines),
        amo_centimes=amo,
        complementary_centimes=complementary,
        patient_centimes=charged - amo - complementary,
    )


def outcome_of(lines: Sequence[ClaimLine]) -> ClaimOutcome:
    statuses = [ln.status for ln in lines]
    if all(s == LineStatus.ACCEPTED for s in statuses):
        return ClaimOutcome.ACCEPTED
    if all(s == LineStatus.REJECTED for s in statuses):
        return ClaimOutcome.REJECTED
    return ClaimOutcome.PARTLY_ACCEPTED


def documents_out(claim: Claim, who: Principal | None = None) -> list[DocumentOut]:
    return [DocumentOut.seen_by(d, who) for d in repo.documents_seen_by(claim, who)]


def claim_out(
    session: Session,
    claim: Claim,
    lang: str,
    who: Principal | None = None,
    explainer: Explainer | None = None,
) -> ClaimOut:
    """The claim as ``who`` may see it, each line's reasons explained in `lang`: staff (and
    the fund's own code, ``who`` None) the whole claim; an insured person the whole claim
    with staff shown by role; a provider only its own lines and its own documents.
    ``explainer``: one made for several claims at once (else one for this claim)."""
    explainer = explainer or Explainer(session, [claim])
    lines = repo.lines_seen_by(claim, who)
    ald_code = claim.ald_code
    if not repo.sees_whole_claim(who) and all(ln.ald_code != ald_code for ln in lines):
        ald_code = None  # the patient's disease, unless its own lines name it
    return ClaimOut(
        **summary(claim, who).model_dump(),
        continuous_treatment_end=claim.continuous_end,
        ald_code=ald_code,
        lines=[line_out(ln, explainer, lang, who) for ln in lines],
        documents=documents_out(claim, who),
        history=[StatusEventOut.seen_by(e, who) for e in claim.events],
    )


def line_out(
    line: ClaimLine, explainer: Explainer, lang: str, who: Principal | None = None
) -> ClaimLineOut:
    decision = None
    if line.status is not None:
        decided_by = line.decided_by
        if who is not None and decided_by is not None:
            decided_by = who.shown(decided_by)
        decision = DecisionOut(
            status=line.status,
            reference_centimes=line.reference_centimes,
            base_centimes=line.base_centimes or 0,
            rate_bp=line.rate_bp or 0,
            amo_centimes=line.amo_centimes or 0,
            complementary_centimes=line.complementary_centimes or 0,
            patient_centimes=line.patient_centimes or 0,
            reasons=explainer.explain(line, lang),
            decided_at=line.decided_at,
            decided_by=decided_by,
        )
    coefficient = None
    if line.coefficient_milli is not None:
        coefficient = f"{line.coefficient_milli / 1000:.3f}".rstrip("0").rstrip(".")
    return ClaimLineOut(
        line_no=line.line_no,
        category=line.category,
        care_date=line.care_date,
        provider_inpe=line.provider.inpe,
        act_key=line.act_key,
        coefficient=coefficient,
        act_code=line.act_code,
        drug_code=line.drug_code,
        quantity=line.quantity,
        charged_centimes=line.charged_centimes,
        ald_code=line.ald_code,
        prescriber_inpe=line.prescriber.inpe if line.prescriber else None,
        prescription_date=line.prescription_date,
        decision=decision,
    )
