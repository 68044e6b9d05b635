"""Validation at the door: one error per field, and what is valid is stored `received`."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.claims import intake
from daman.claims.models import Channel, Claim, ClaimStatus, ClaimStatusEvent
from daman.claims.schemas import ClaimIn
from daman.core.dates import today
from daman.core.db import make_engine
from daman.core.errors import Conflict, ValidationFailed
from tests.claims.support import BRAND, act, cnss_insured, electronic, medicine, paper, provider

CARE = date(2024, 3, 4)


@pytest.fixture
def world(session):
    return {
        "patient": cnss_insured(session),
        "doctor": provider(session),
        "pharmacy": provider(session, kind="pharmacy"),
    }


def errors_of(session, payload) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        intake.submit(session, ClaimIn.model_validate(payload), actor="test", key=None)
    assert caught.value.code == "validation_failed"
    fields = [e.field for e in caught.value.detail]
    assert len(fields) == len(set(fields)), "one error per field"
    return {e.field: e.reason for e in caught.value.detail}


def test_valid_claim_is_stored_received_with_a_number(session, world):
    payload = paper(
        world["patient"], [act(world["doctor"], CARE, 15_000)], deposit=date(2024, 3, 20)
    )
    claim, created = intake.submit(
        session, ClaimIn.model_validate(payload), actor="agent", key=None
    )
    assert created
    assert claim.status == ClaimStatus.RECEIVED
    assert claim.number.startswith("F") and len(claim.number) == 11 and claim.number[1:].isdigit()
    assert claim.deposit_date == date(2024, 3, 20)
    assert claim.channel == Channel.AGENCY
    assert claim.charged_centimes == 15_000
    assert claim.created_by == "agent"
    assert [(ln.line_no, ln.act_key, ln.quantity) for ln in claim.lines] == [(1, "C", 1)]
    events = session.scalars(
        select(ClaimStatusEvent).where(ClaimStatusEvent.claim_id == claim.id)
    ).all()
    assert [(e.from_status, e.to_status, e.by) for e in events] == [(None, "received", "agent")]


def test_numbers_follow_the_claim_counter(session, world):
    payload = paper(world["patient"], [act(world["doctor"], CARE, 15_000)])
    first, _ = intake.submit(session, ClaimIn.model_validate(payload), actor="a", key=None)
    second, _ = intake.submit(session, ClaimIn.model_validate(payload), actor="a", key=None)
    assert int(second.number[1:]) == int(first.number[1:]) + 1


def test_electronic_claim_is_deposited_the_day_it_arrives(session, world):
    payload = electronic(
        world["patient"], [act(world["doctor"], today() - timedelta(days=2), 8000)]
    )
    claim, _ = intake.submit(session, ClaimIn.model_validate(payload), actor="a", key=None)
    assert claim.deposit_date == today()
    assert claim.channel == Channel.ELECTRONIC


def test_unknown_patient_provider_key_and_drug(session, world):
    payload = paper(
        world["patient"],
        [
            act(world["doctor"], CARE, 15_000, key="ZZ"),
            medicine(world["pharmacy"], world["doctor"], CARE, "6118990009997", 3000),
            {**act(world["doctor"], CARE, 15_000), "provider_inpe": "NOPE"},
        ],
        ald_code="ALD99",
    )
    payload["patient"] = "DM9999999999"
    errs = errors_of(session, payload)
    assert errs["patient"].startswith("unknown patient")
    assert errs["lines[0].act_key"] == "unknown TNR key ZZ"
    assert "not on the reference list" in errs["lines[1].drug_code"]
    assert errs["lines[2].provider_inpe"].startswith("unknown provider")
    assert errs["ald_code"] == "unknown ALD code ALD99"


def test_amounts_quantities_and_dates(session, world):
    future = today() + timedelta(days=3)
    payload = paper(
        world["patient"],
        [
            act(world["doctor"], CARE, 0),
            medicine(world["pharmacy"], world["doctor"], CARE, BRAND, 3200, quantity=100),
            act(world["doctor"], future, 15_000),
            act(world["doctor"], CARE, -500, coefficient="1.2345"),
        ],
        deposit=CARE,
    )
    errs = errors_of(session, payload)
    assert errs["lines[0].charged_centimes"] == "must be more than 0"
    assert errs["lines[1].quantity"] == "must be between 1 and 99"
    assert errs["lines[2].care_date"] == "is in the future"
    assert errs["lines[3].charged_centimes"] == "must be more than 0"
    assert errs["lines[3].coefficient"] == "at most 3 decimals"
    assert "deposit_date" not in errs  # deposited the day of care is fine


def test_deposit_date_rules(session, world):
    lines = [act(world["doctor"], CARE, 15_000)]
    before = errors_of(session, paper(world["patient"], lines, deposit=CARE - timedelta(days=1)))
    assert before == {"deposit_date": f"is before the care date {CARE}"}
    ahead = errors_of(session, paper(world["patient"], lines, deposit=today() + timedelta(days=1)))
    assert ahead == {"deposit_date": "is in the future"}
    missing = paper(world["patient"], lines)
    del missing["deposit_date"]
    assert errors_of(session, missing) == {
        "deposit_date": "required: the day the paper claim was handed in"
    }
    stamped = electronic(world["patient"], lines, deposit_date=CARE.isoformat())
    assert "deposit_date" in errors_of(session, stamped)


def test_continuous_treatment_end_between_care_and_deposit(session, world):
    physio = provider(session, kind="paramedical")
    sessions = [
        act(physio, CARE, 5_000, key="AMM", category="paramedical"),
        act(physio, CARE + timedelta(days=7), 5_000, key="AMM", category="paramedical"),
    ]
    last = CARE + timedelta(days=7)
    early = paper(world["patient"], sessions, continuous_treatment_end="2024-03-08")
    assert errors_of(session, early) == {
        "continuous_treatment_end": f"is before the last care date ({last})"
    }
    late = paper(
        world["patient"], sessions, deposit=date(2024, 4, 1), continuous_treatment_end="2024-04-02"
    )
    assert errors_of(session, late) == {"continuous_treatment_end": "is after the deposit date"}
    fine = paper(
        world["patient"], sessions, deposit=date(2024, 4, 1), continuous_treatment_end="2024-04-01"
    )
    claim, _ = intake.submit(session, ClaimIn.model_validate(fine), actor="agent", key=None)
    assert claim.continuous_end == date(2024, 4, 1)


def test_inconsistent_lines(session, world):
    doctor, pharmacy = world["doctor"], world["pharmacy"]
    no_ean = medicine(pharmacy, doctor, CARE, BRAND, 3200)
    del no_ean["drug_code"], no_ean["prescriber_inpe"], no_ean["prescription_date"]
    no_key = act(doctor, CARE, 15_000)
    del no_key["act_key"]
    payload = paper(
        world["patient"],
        [
            no_ean,
            no_key,
            {**act(doctor, CARE, 15_000), "drug_code": BRAND},
            {**medicine(pharmacy, doctor, CARE, BRAND, 3200), "act_key": "C"},
            medicine(pharmacy, doctor, CARE, "6118990000018", 3200),
            {**medicine(pharmacy, doctor, CARE, BRAND, 3200), "prescription_date": "2024-03-05"},
        ],
    )
    errs = errors_of(session, payload)
    assert errs["lines[0].drug_code"] == "required on a medicine line (EAN-13 of the box)"
    assert errs["lines[0].prescriber_inpe"].startswith("required")
    assert errs["lines[0].prescription_date"] == "required on a medicine line"
    assert errs["lines[1].act_key"].startswith("required on a consultation line")
    assert errs["lines[2].drug_code"].startswith("only medicine lines carry a drug code")
    assert errs["lines[3].act_key"] == "not allowed on a medicine line"
    assert errs["lines[4].drug_code"] == "bad EAN check digit 8 (expected 7)"
    assert errs["lines[5].prescription_date"] == "is after the care date"


def test_a_claim_needs_lines(session, world):
    payload = {**paper(world["patient"], [act(world["doctor"], CARE, 1)]), "lines": []}
    assert errors_of(session, payload) == {"lines": "a claim needs at least one line"}


def test_provider_must_practise_on_the_care_date(session, world):
    gone = provider(session)
    gone.valid_to = date(2023, 12, 31)
    session.flush()
    errs = errors_of(session, paper(world["patient"], [act(gone, CARE, 15_000)]))
    assert errs == {"lines[0].provider_inpe": f"provider {gone.inpe} is not practising on {CARE}"}


def test_refused_claim_stores_nothing(session, world):
    before = session.scalar(select(Claim.id).order_by(Claim.id.desc()).limit(1))
    errors_of(session, paper(world["patient"], [act(world["doctor"], CARE, 0)]))
    assert session.scalar(select(Claim.id).order_by(Claim.id.desc()).limit(1)) == before


def test_idempotency_key_returns_the_first_claim_and_refuses_a_new_body(session, world):
    payload = paper(world["patient"], [act(world["doctor"], CARE, 15_000)])
    draft = ClaimIn.model_validate(payload)
    first, created = intake.submit(session, draft, actor="p1", key="sheet-42")
    again, created_again = intake.submit(session, draft, actor="p1", key="sheet-42")
    assert created and not created_again and again.id == first.id
    other, _ = intake.submit(session, draft, actor="p2", key="sheet-42")  # another submitter
    assert other.id != first.id
    changed = ClaimIn.model_validate({**payload, "lines": [act(world["doctor"], CARE, 16_000)]})
    with pytest.raises(Conflict) as caught:
        intake.submit(session, changed, actor="p1", key="sheet-42")
    assert caught.value.code == "idempotency_key_reused"
    assert first.number in str(caught.value)


def test_claim_numbers_do_not_wait_for_an_open_transaction(database_url):
    """Numbers come in blocks reserved by short transactions of their own (PostgreSQL): a
    transaction storing a claim holds no lock on the counter until it commits, so another
    one goes ahead, and the numbers stay unique."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writing transactions whole")
    engine = make_engine(database_url)
    with Session(engine) as setup:
        patient, doctor = cnss_insured(setup), provider(setup)
        setup.commit()
        payload = paper(patient, [act(doctor, CARE, 15_000)])
    draft = ClaimIn.model_validate(payload)
    done = threading.Event()
    numbers: list[str] = []

    def second() -> None:
        with Session(engine) as s:
            numbers.append(intake.submit(s, draft, actor="b", key=None)[0].number)
            s.commit()
        done.set()

    with Session(engine) as first:
        numbers.append(intake.submit(first, draft, actor="a", key=None)[0].number)
        writer = threading.Thread(target=second)
        writer.start()
        assert done.wait(timeout=30), "the second claim waited for the first transaction"
        first.commit()
    writer.join(timeout=30)
    engine.dispose()
    assert len(set(numbers)) == 2
    assert all(n.startswith("F") and len(n) == 11 for n in numbers)
