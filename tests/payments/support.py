"""Helpers of the payments tests: approved claims, payee rules, bank returns, census."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.adjudication.service import adjudicate_claims
from daman.claims import service as claims_service
from daman.claims.builders import received
from daman.claims.models import Claim, ClaimLine
from daman.core.db import make_engine
from daman.core.money import format_mad
from daman.payments.models import PayeeKind, PaymentBatch, PaymentItem, PaymentTransfer
from daman.payments.repository import PayableLine, Payee
from daman.registry import builders as rb
from daman.registry.models import Person
from tests.claims.support import (
    GENERIC,
    act,
    cnops_insured,
    cnss_insured,
    medicine,
    paper,
    provider,
)

CARE = date(2025, 6, 2)
_rib = count(1000)


def rib() -> str:
    return rb.valid_rib(next(_rib))


def insured(session: Session, regime: str = "CNSS_SAL", **fields: Any) -> Person:
    """A covered private-sector employee (or CNOPS member, with a mutual) with a valid RIB
    unless rib= is given."""
    fields.setdefault("rib", rib())
    if regime == "CNOPS":
        return cnops_insured(session, **fields)
    return cnss_insured(session, **fields)


def approve(session: Session, payloads: Sequence[dict[str, Any]]) -> list[Claim]:
    """Claims stored, valued and approved for payment (every adjudicated claim of the
    database with something to pay is approved)."""
    claims = received(session, list(payloads))
    adjudicate_claims(session, [c.id for c in claims], "test")
    claims_service.approve_all(session, "test")
    session.expire_all()
    return claims


def gp_visit(
    session: Session,
    patient: Person,
    charged: int = 15_000,
    *,
    drug: bool = False,
    care: date = CARE,
) -> dict[str, Any]:
    """A claim for a GP consultation (and a box of a generic medicine) on `care`."""
    doctor = provider(session)
    lines = [act(doctor, care, charged)]
    if drug:
        lines.append(medicine(provider(session, kind="pharmacy"), doctor, care, GENERIC, 1_850))
    return paper(patient, lines)


def facility_payee(session: Session, lines: Sequence[PayableLine]) -> dict[int, Payee]:
    """Third-party payment: every line paid to the provider that gave the care."""
    return {ln.line_id: Payee(PayeeKind.PROVIDER, ln.provider_id) for ln in lines}


def payable(session: Session, claim_ids: Sequence[int]) -> int:
    """What AMO and the mutual pay on these claims, from their lines."""
    return session.scalar(
        select(
            func.coalesce(func.sum(ClaimLine.amo_centimes + ClaimLine.complementary_centimes), 0)
        ).where(ClaimLine.claim_id.in_(claim_ids))
    )


def census(url_or_session: str | Session) -> dict[str, Any]:
    """Claims by status, items per line, unassigned items, batches and their totals."""
    if isinstance(url_or_session, str):
        engine = make_engine(url_or_session)
        try:
            with Session(engine) as s:
                return census(s)
        finally:
            engine.dispose()
    s = url_or_session
    per_line = s.execute(
        select(PaymentItem.claim_line_id, func.count())
        .where(PaymentItem.returned_at.is_(None))
        .group_by(PaymentItem.claim_line_id)
    ).all()
    payable_lines = s.scalar(
        select(func.count())
        .select_from(ClaimLine)
        .where(ClaimLine.amo_centimes + ClaimLine.complementary_centimes > 0)
    )
    return {
        "claims": dict(s.execute(select(Claim.status, func.count()).group_by(Claim.status)).all()),
        "payable_lines": payable_lines,
        "lines_queued": len(per_line),
        "max_items_per_line": max((n for _, n in per_line), default=0),
        "unassigned": s.scalar(
            select(func.count()).select_from(PaymentItem).where(PaymentItem.transfer_id.is_(None))
        ),
        "batches": s.scalar(select(func.count()).select_from(PaymentBatch)),
        "batch_total": s.scalar(select(func.coalesce(func.sum(PaymentBatch.total_centimes), 0))),
        "transfer_total": s.scalar(
            select(func.coalesce(func.sum(PaymentTransfer.amount_centimes), 0))
        ),
        "items_total": s.scalar(
            select(
                func.coalesce(
                    func.sum(PaymentItem.amo_centimes + PaymentItem.complementary_centimes), 0
                )
            )
        ),
        "payable_total": s.scalar(
            select(
                func.coalesce(
                    func.sum(ClaimLine.amo_centimes + ClaimLine.complementary_centimes), 0
                )
            )
        ),
    }


def seed_approved(url: str, n: int, payees: int = 5) -> None:
    """n committed approved claims (a GP visit and a medicine each) for `payees` insured."""
    engine = make_engine(url)
    with Session(engine) as s:
        doctor, pharmacy = provider(s), provider(s, kind="pharmacy")
        patients = [insured(s) for _ in range(payees)]
        received_claims = received(
            s,
            [
                paper(
                    patients[i % payees],
                    [
                        act(doctor, CARE + timedelta(days=i // payees), 15_000 + i),
                        medicine(
                            pharmacy, doctor, CARE + timedelta(days=i // payees), GENERIC, 1_850
                        ),
                    ],
                )
                for i in range(n)
            ],
        )
        adjudicate_claims(s, [c.id for c in received_claims], "seed")
        assert claims_service.approve_all(s, "seed") == n
        s.commit()
    engine.dispose()


# ---------------------------------------------------------------------------------------
# Bank returns

CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"


def camt054(entries: Sequence[tuple[str, int, str, str | None]], status: str = "BOOK") -> bytes:
    """A camt.054 debit notification: one entry per (EndToEndId, centimes, CdtDbtInd,
    return reason code): a booked debit settles, a credit with a reason returns."""
    booked = []
    for n, (ref, centimes, direction, reason) in enumerate(entries, 1):
        amount = format_mad(centimes)
        returned = (
            f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn><AddtlInf>Compte clôturé</AddtlInf></RtrInf>"
            if reason
            else ""
        )
        booked.append(
            f"""<Ntry><NtryRef>{n}</NtryRef><Amt Ccy="MAD">{amount}</Amt>
<CdtDbtInd>{direction}</CdtDbtInd><Sts><Cd>{status}</Cd></Sts>
<BookgDt><Dt>2026-01-05</Dt></BookgDt><ValDt><Dt>2026-01-05</Dt></ValDt>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>{ref}</EndToEndId></Refs>
<Amt Ccy="MAD">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>{returned}</TxDtls></NtryDtls>
</Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{CAMT}"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>CAMT-0001</MsgId><CreDtTm>2026-01-05T18:00:00+01:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><CreDtTm>2026-01-05T18:00:00+01:00</CreDtTm>
<Acct><Id><Othr><Id>010780000000000012345682</Id></Othr></Id></Acct>
{"".join(booked)}
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()


def decimal_mad(text: str) -> int:
    return int(Decimal(text) * 100)
