"""A care sheet valued without saving (counter.value_claim): exactly what submitting the same
sheet gives, line by line and in total, and nothing written: no row, no audit entry, no
claim number taken."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.audit import append_pending
from daman.auth.models import Role
from daman.claims.models import Claim
from daman.claims.schemas import ClaimIn
from daman.core.db import Base
from daman.core.errors import ValidationFailed
from daman.counter import service
from daman.reference.models import Agency
from daman.registry import builders as rb
from tests.claims.support import (
    BRAND,
    GP_FEE,
    PDF,
    act,
    cnops_insured,
    cnss_insured,
    keep_documents_in,
    medicine,
    paper,
    provider,
    recent,
)

AGENT = Principal(actor="agent:amina", role=Role.AGENT, user_id=1, username="amina")
LINE_FIELDS = (
    "line_no",
    "status",
    "reference_centimes",
    "base_centimes",
    "rate_bp",
    "amo_centimes",
    "complementary_centimes",
    "patient_centimes",
    "allowed_quantity",
    "reasons",
)
CLAIM_FIELDS = (
    "status",
    "outcome",
    "regime_code",
    "charged_centimes",
    "base_centimes",
    "amo_centimes",
    "complementary_centimes",
    "patient_centimes",
)


@pytest.fixture(autouse=True)
def _documents(tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)


def gp_and_medicine(session: Session) -> dict[str, Any]:
    doctor, pharmacy = provider(session), provider(session, kind="pharmacy")
    lines = [
        act(doctor, recent(5), GP_FEE),
        medicine(pharmacy, doctor, recent(5), BRAND, 6_400, quantity=2),
    ]
    return paper(cnss_insured(session), lines, deposit=recent(1))


def mutual_member(session: Session) -> dict[str, Any]:
    """CNOPS, MGPAP: a complementary share on the medicine."""
    doctor, pharmacy = provider(session), provider(session, kind="pharmacy")
    patient = cnops_insured(session)
    lines = [medicine(pharmacy, doctor, recent(4), BRAND, 3_200)]
    return paper(patient, lines, deposit=recent(1))


def prosthesis(session: Session) -> dict[str, Any]:
    """Needs a document: waits for review without one, decided with one."""
    dentist = provider(session, kind="dentist")
    line = act(dentist, recent(3), 50_000, key="DP", category="dental_prosthesis", coefficient="30")
    return paper(cnss_insured(session), [line], deposit=recent(1))


def late(session: Session) -> dict[str, Any]:
    """Handed in 70 days after the care: rejected."""
    care = recent(80)
    return paper(cnss_insured(session), [act(provider(session), care, GP_FEE)], deposit=recent(10))


def twice_the_same_day(session: Session) -> dict[str, Any]:
    """A second sheet for care already claimed: the engine compares with the history."""
    doctor, patient = provider(session), cnss_insured(session)
    first = paper(patient, [act(doctor, recent(6), GP_FEE)], deposit=recent(2))
    service.submit_claim(session, ClaimIn.model_validate(first), actor="test", idempotency_key=None)
    return paper(patient, [act(doctor, recent(6), GP_FEE)], deposit=recent(1))


def not_covered(session: Session) -> dict[str, Any]:
    person = rb.insured(session, regime="CNSS_SAL", valid_from=recent(30))  # no declared days
    return paper(person, [act(provider(session), recent(3), GP_FEE)], deposit=recent(1))


SHEETS: dict[str, Callable[[Session], dict[str, Any]]] = {
    "gp_and_medicine": gp_and_medicine,
    "mutual_member": mutual_member,
    "prosthesis": prosthesis,
    "late": late,
    "twice_the_same_day": twice_the_same_day,
    "not_covered": not_covered,
}


def decisions(claim: Claim) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    head = {f: getattr(claim, f) for f in CLAIM_FIELDS}
    lines = [{f: getattr(ln, f) for f in LINE_FIELDS} for ln in claim.lines]
    return head, lines


@pytest.mark.parametrize("documents", [False, True])
@pytest.mark.parametrize("sheet", list(SHEETS))
def test_a_dry_run_gives_exactly_what_submitting_gives(session, sheet, documents):
    draft = ClaimIn.model_validate(SHEETS[sheet](session))
    dry = service.value_claim(session, draft, who=AGENT, with_documents=documents)
    assert dry not in session and dry.id is None and dry.number == ""
    uploads = [service.claims.Upload("scan.pdf", "application/pdf", PDF)] if documents else []
    stored, created = service.submit_claim(
        session, draft, actor=AGENT.actor, idempotency_key=None, who=AGENT, uploads=uploads
    )
    assert created
    assert decisions(dry) == decisions(stored)
    assert dry.lines[0].status is not None  # valued, not left empty


def test_the_sheets_cover_the_engine_s_outcomes(session):
    seen = set()
    for name, make in SHEETS.items():
        claim = service.value_claim(session, ClaimIn.model_validate(make(session)), who=AGENT)
        seen |= {ln.status.value for ln in claim.lines}
        if name == "mutual_member":
            assert claim.lines[0].complementary_centimes > 0
        if name == "twice_the_same_day":  # the earlier sheet's line is in the history
            assert any("duplicate" in code for code in claim.lines[0].reasons)
    assert seen >= {"accepted", "rejected", "pending_review"}


def table_rows(session: Session) -> dict[str, Any]:
    """How many rows each table holds, and the counters' values (claim numbers)."""
    counts: dict[str, Any] = {
        t.name: session.scalar(select(func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }
    counters = Base.metadata.tables["counters"]
    counts["counters"] = sorted(session.execute(select(counters)).all())
    return counts


def test_a_dry_run_writes_nothing(session):
    draft = ClaimIn.model_validate(gp_and_medicine(session))
    session.flush()
    append_pending(session)  # what the fixtures wrote, chained now
    before = table_rows(session)
    for documents in (False, True):
        service.value_claim(session, draft, who=AGENT, with_documents=documents)
    session.flush()
    assert append_pending(session) == 0  # no audit entry waits for the commit
    assert table_rows(session) == before
    assert not session.new and not session.dirty and not session.deleted


def test_a_dry_run_refuses_what_submitting_refuses(session):
    body = gp_and_medicine(session)
    body["lines"][0]["charged_centimes"] = 0
    body["lines"][1]["provider_inpe"] = "X404"
    body["deposit_date"] = (recent(0) + timedelta(days=1)).isoformat()
    draft = ClaimIn.model_validate(body)
    with pytest.raises(ValidationFailed) as dry:
        service.value_claim(session, draft, who=AGENT)
    with pytest.raises(ValidationFailed) as real:
        service.submit_claim(session, draft, actor=AGENT.actor, idempotency_key=None, who=AGENT)
    assert dry.value.detail == real.value.detail
    fields = {e.field for e in dry.value.detail}
    assert {"lines[0].charged_centimes", "lines[1].provider_inpe", "deposit_date"} <= fields


def test_a_paper_sheet_records_its_agency_and_only_a_paper_sheet_has_one(session):
    agency = session.scalars(select(Agency)).first()
    if agency is None:
        agency = Agency(
            code="TST-01",
            name_fr="Agence d'essai",
            name_ar="وكالة تجريبية",
            city="Rabat",
            region="Rabat-Salé-Kénitra",
            valid_from=recent(400),
            created_by="test",
            updated_by="test",
        )
        session.add(agency)
        session.flush()
    draft = ClaimIn.model_validate(gp_and_medicine(session))
    claim, _ = service.submit_claim(
        session, draft, actor=AGENT.actor, idempotency_key="k1", who=AGENT, agency_code=agency.code
    )
    assert (claim.channel, claim.agency_code) == ("agency", agency.code)
    online = draft.model_copy(update={"channel": "electronic", "deposit_date": None})
    with pytest.raises(ValidationFailed) as refused:
        service.value_claim(session, online, who=AGENT, agency_code=agency.code)
    assert refused.value.detail[0].field == "agency_code"
