"""What a payee receives with a payment: the insured person's statement (a PDF in French
and Arabic) and a facility's or provider's remittance advice (the claims it pays)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from daman.auth.access import Principal, log_read
from daman.claims.models import Claim, ClaimLine
from daman.claims.service import Explainer
from daman.config import get_settings
from daman.core.errors import Conflict
from daman.payments import repository as repo
from daman.payments import statement as pdf
from daman.payments.models import PayeeKind, PaymentItem, PaymentTransfer, shown_status
from daman.payments.schemas import RemittanceClaim, RemittanceLine, RemittanceOut
from daman.registry.models import Person


def _paid_by_claim(items: list[PaymentItem]) -> dict[int, int]:
    paid: dict[int, int] = defaultdict(int)
    for item in items:
        paid[item.claim_id] += item.amo_centimes + item.complementary_centimes
    return paid


def _care(line: ClaimLine) -> str:
    if line.drug_code:
        return f"{line.drug_code} x{line.quantity}"
    key = line.act_key or line.act_code or line.category
    if line.coefficient_milli is not None:
        coefficient = f"{line.coefficient_milli / 1000:.3f}".rstrip("0").rstrip(".")
        key = f"{key} {coefficient}"
    return f"{key} x{line.quantity}" if line.quantity > 1 else key


def _name_ar(person: Person) -> str:
    arabic = " ".join(p for p in (person.last_name_ar, person.first_name_ar) if p)
    return arabic or f"{person.last_name} {person.first_name}"


def _transfer(
    session: Session, reference: str, kind: PayeeKind, who: Principal | None
) -> PaymentTransfer:
    transfer = repo.transfer_by_reference(session, reference, who)
    if who is not None:
        log_read(session, who, kind.value + "_payment", transfer.reference)
    if transfer.payee_kind != kind:
        other = "remittance" if kind == PayeeKind.PERSON else "statement.pdf"
        raise Conflict(
            f"transfer {transfer.reference} is paid to a {transfer.payee_kind}; see its {other}",
            code=f"not_a_{kind}_payee",
        )
    return transfer


def statement(session: Session, reference: str, who: Principal | None = None) -> pdf.Statement:
    """The statement data of a transfer to an insured person."""
    transfer = _transfer(session, reference, PayeeKind.PERSON, who)
    items = repo.items_of(session, transfer.id)
    claims = repo.claims_of_items(session, items)
    paid = _paid_by_claim(items)
    explainer = Explainer(session, claims)
    payee = session.get(Person, transfer.person_id)
    assert payee is not None
    return pdf.Statement(
        fund_name=get_settings().fund_name,
        reference=transfer.reference,
        batch=transfer.batch.number,
        execution_date=transfer.batch.execution_date,
        status=shown_status(transfer),
        payee=payee.immatriculation,
        payee_name=f"{payee.last_name} {payee.first_name}",
        payee_name_ar=_name_ar(payee),
        rib=transfer.rib,
        amount_centimes=transfer.amount_centimes,
        claims=tuple(_statement_claim(c, paid[c.id], explainer) for c in claims),
    )


def _statement_claim(claim: Claim, paid: int, explainer: Explainer) -> pdf.StatementClaim:
    return pdf.StatementClaim(
        number=claim.number,
        patient=claim.patient.immatriculation,
        patient_name=f"{claim.patient.last_name} {claim.patient.first_name}",
        patient_name_ar=_name_ar(claim.patient),
        deposit_date=claim.deposit_date,
        paid_centimes=paid,
        lines=tuple(
            pdf.StatementLine(
                line_no=ln.line_no,
                care_date=ln.care_date,
                care=_care(ln),
                charged_centimes=ln.charged_centimes,
                base_centimes=ln.base_centimes or 0,
                rate_bp=ln.rate_bp or 0,
                amo_centimes=ln.amo_centimes or 0,
                complementary_centimes=ln.complementary_centimes or 0,
                patient_centimes=ln.patient_centimes or 0,
                reasons_fr=tuple(e.text for e in explainer.explain(ln, "fr")),
                reasons_ar=tuple(e.text for e in explainer.explain(ln, "ar")),
            )
            for ln in claim.lines
        ),
    )


def statement_pdf(
    session: Session, reference: str, who: Principal | None = None
) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the statement of a transfer to an insured person."""
    data = statement(session, reference, who)
    return f"decompte-{data.reference}.pdf", pdf.render(data)


def remittance(session: Session, reference: str, who: Principal | None = None) -> RemittanceOut:
    """The remittance advice of a transfer to a facility or provider: each claim and line
    it pays."""
    transfer = _transfer(session, reference, PayeeKind.PROVIDER, who)
    items = repo.items_of(session, transfer.id)
    claims = repo.claims_of_items(session, items)
    paid_lines = {i.claim_line_id for i in items}
    paid = _paid_by_claim(items)
    labels = repo.payee_labels(session, [repo.payee_key(transfer)])
    inpe, name = labels[repo.payee_key(transfer)]
    return RemittanceOut(
        reference=transfer.reference,
        batch=transfer.batch.number,
        execution_date=transfer.batch.execution_date,
        payee=inpe,
        name=name,
        rib=transfer.rib,
        amount_centimes=transfer.amount_centimes,
        status=shown_status(transfer),
        claims=[
            RemittanceClaim(
                number=c.number,
                patient=c.patient.immatriculation,
                patient_name=f"{c.patient.last_name} {c.patient.first_name}",
                deposit_date=c.deposit_date,
                paid_centimes=paid[c.id],
                lines=[
                    RemittanceLine(
                        line_no=ln.line_no,
                        care_date=ln.care_date,
                        category=ln.category,
                        act_key=ln.act_key,
                        act_code=ln.act_code,
                        drug_code=ln.drug_code,
                        quantity=ln.quantity,
                        charged_centimes=ln.charged_centimes,
                        base_centimes=ln.base_centimes or 0,
                        rate_bp=ln.rate_bp or 0,
                        amo_centimes=ln.amo_centimes or 0,
                        complementary_centimes=ln.complementary_centimes or 0,
                        paid_centimes=(ln.amo_centimes or 0) + (ln.complementary_centimes or 0),
                    )
                    for ln in c.lines
                    if ln.id in paid_lines
                ],
            )
            for c in claims
        ],
    )
