"""Facility invoices (tiers payant): the invoice for care under an authorisation.

The invoice is stored as a claim of the patient from the facility (electronic, the same
checks at the door, the same Idempotency-Key rule) and valued at once by the engine, which
matches each line to the authorisation: a covered line is rated by it, a line beyond
what it leaves goes to review, a line needing an authorisation it does not cover is
refused with its reason. A claim with nothing in review and something to pay is approved
for payment at once; the payment run pays it to the facility (see the payee rule in
daman.payments.service), and the patient's share is what each line leaves to the patient.
An invoice with an over-run waits in the review queue and is approved once decided.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.claims import repository as claims_repo
from daman.claims import service as claims
from daman.claims.explain import Explainer
from daman.claims.models import Claim, ClaimStatus
from daman.claims.schemas import ClaimIn, ClaimLineIn
from daman.core.dates import now
from daman.core.errors import Conflict, NotFound
from daman.core.schemas import from_row
from daman.preauth import repository as repo
from daman.preauth.errors import PreauthNotAgreed
from daman.preauth.models import (
    AUTHORISING,
    PreauthEvent,
    PreauthInvoice,
    PreauthLine,
    PreauthRequest,
    PreauthStatus,
)
from daman.preauth.schemas import InvoiceIn, InvoiceLineOut, InvoiceOut
from daman.registry.repository import immatriculations


def store_claim(
    session: Session,
    number: str,
    payload: InvoiceIn,
    who: Principal,
    idempotency_key: str | None,
) -> tuple[Claim, bool]:
    """Check the authorisation and store the invoice's lines as a claim (`received`); the
    counter values it, then calls `record` (daman.counter.service.submit_invoice). A retry
    with the same Idempotency-Key returns the first claim (False)."""
    row = repo.by_number(session, number, who)
    repo.lock(session, row.id)
    if row.status not in AUTHORISING:
        raise PreauthNotAgreed(
            f"pre-authorisation {row.number} is {row.status}: invoices go against an agreement"
        )
    patient = immatriculations(session, [row.patient_id])[row.patient_id]
    draft = ClaimIn(
        patient=patient,
        ald_code=row.ald_code,
        lines=[
            ClaimLineIn(
                category=ln.category,
                care_date=ln.care_date,
                provider_inpe=row.provider.inpe,
                charged_centimes=ln.charged_centimes,
                quantity=ln.quantity,
                act_key=ln.act_key,
                coefficient=ln.coefficient,
                act_code=ln.act_code,
            )
            for ln in payload.lines
        ],
    )
    return claims.submit(session, draft, actor=who.actor, idempotency_key=idempotency_key)


def record(
    session: Session,
    number: str,
    claim: Claim,
    created: bool,
    payload: InvoiceIn,
    who: Principal,
    idempotency_key: str | None,
) -> tuple[PreauthInvoice, bool]:
    """The invoice of a valued claim: approved for payment when nothing waits for review,
    the authorisation marked invoiced. A replay returns the first invoice (False)."""
    row = repo.by_number(session, number, who)
    claim = claims_repo.by_number(session, claim.number)  # as valued
    if not created:
        first = repo.invoice_of_claim(session, claim.id)
        if first is None or first.request_id != row.id:
            raise Conflict(
                f"Idempotency-Key {idempotency_key!r} was used for claim {claim.number}, "
                f"which is not an invoice of {row.number}",
                code="idempotency_key_reused",
            )
        return first, False
    at = now()
    invoice = PreauthInvoice(
        request_id=row.id,
        claim_id=claim.id,
        reference=payload.reference.strip(),
        created_at=at,
        created_by=who.actor,
        updated_at=at,
        updated_by=who.actor,
    )
    session.add(invoice)
    session.flush()
    if claim.status == ClaimStatus.ADJUDICATED and claim.payable_centimes > 0:
        claims.approve(
            session, claim.number, who.actor, f"facility invoice under {row.number}: matched"
        )
    if row.status != PreauthStatus.INVOICED:
        session.add(
            PreauthEvent(
                request_id=row.id,
                from_status=row.status,
                to_status=PreauthStatus.INVOICED,
                at=at,
                by=who.actor,
                reason=f"invoice {invoice.reference or claim.number} (claim {claim.number})",
            )
        )
        row.status = PreauthStatus.INVOICED
        row.updated_at, row.updated_by = at, who.actor
    session.flush()
    return invoice, True


def _match(line_category: str, item: str | None, planned: list[PreauthLine]) -> PreauthLine | None:
    """The planned line an invoice line falls under: same category and item, else the
    category's line without an item (as the engine matches them)."""
    same = [p for p in planned if p.category == line_category and (p.agreed_quantity or 0) > 0]
    exact = [p for p in same if p.act_key is not None and p.act_key == item]
    anything = [p for p in same if p.act_key is None]
    found = exact or anything
    return found[0] if found else None


def invoice_out(
    session: Session, row: PreauthRequest, invoice: PreauthInvoice, lang: str
) -> InvoiceOut:
    claim: Claim = claims_repo.by_ids(session, [invoice.claim_id])[0]
    explainer = Explainer(session, [claim])
    lines: list[InvoiceLineOut] = []
    for ln in claim.lines:
        planned = _match(ln.category, ln.drug_code or ln.act_key, row.lines)
        lines.append(
            from_row(
                InvoiceLineOut,
                ln,
                matched_line=planned.line_no if planned else None,
                agreed_quantity=planned.agreed_quantity if planned else None,
                agreed_base_centimes=planned.agreed_base_centimes if planned else None,
                base_centimes=ln.base_centimes or 0,  # the amounts of a line not valued yet
                rate_bp=ln.rate_bp or 0,
                amo_centimes=ln.amo_centimes or 0,
                complementary_centimes=ln.complementary_centimes or 0,
                patient_centimes=ln.patient_centimes or 0,
                reasons=explainer.explain(ln, lang),
            )
        )
    return from_row(
        InvoiceOut,
        claim,
        preauthorisation=row.number,
        claim=claim.number,
        reference=invoice.reference,
        payee_inpe=row.provider.inpe,
        over_run=any("above_authorisation" in (ln.reasons or []) for ln in claim.lines),
        lines=lines,
    )


def by_claim_number(session: Session, row: PreauthRequest, number: str) -> PreauthInvoice:
    for invoice in row.invoices:
        claim = claims_repo.by_ids(session, [invoice.claim_id])[0]
        if claim.number == number.strip().upper():
            return invoice
    raise NotFound(f"no invoice {number} under {row.number}", code="invoice_not_found")
