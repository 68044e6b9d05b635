"""The facility's invoice against an authorisation: stored and valued as a claim, each line
matched to what was agreed and within the validity; what fits is approved and paid to the
facility, what goes beyond waits for review, what the authorisation does not cover is
refused; the Idempotency-Key never stores a second invoice."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.claims.models import Claim
from daman.core.dates import today
from daman.core.money import apply_rate
from daman.payments import service as payments
from daman.payments.models import PaymentItem
from tests.claims.support import cnss_insured
from tests.preauth.support import (
    API,
    DAY,
    PRIVATE_HOSPITAL_BP,
    World,
    agree,
    decide,
    fields,
    hospital_days,
    invoice,
    invoice_line,
    read,
    refused,
    row,
    send_invoice,
    stay,
    submit,
)


def claims(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Claim)) or 0


START = today() - timedelta(days=9)  # care is invoiced after it was given


def day(n: int) -> date:
    """The n-th day of the stay (0: the planned start)."""
    return START + timedelta(days=n)


def agreed(api: TestClient, w: World, **body: Any) -> str:
    """A stay of 3 days from START, agreed from START to today."""
    number: str = submit(api, stay(w.patient, w.clinic, start=START))["number"]
    agree(api, number, days=0, **body)
    return number


def codes(line: dict[str, Any]) -> list[str]:
    return [r["code"] for r in line["reasons"]]


def test_an_invoice_within_the_agreement_is_approved_and_paid_to_the_facility(
    api: TestClient, session: Session, w: World
) -> None:
    number = agreed(api, w)
    r = api.post(
        f"{API}/preauthorisations/{number}/invoices",
        json=invoice(3, 300_000, care=day(0)),
        headers={"Idempotency-Key": "fac-42", "Accept-Language": "en"},
    )
    assert r.status_code == 201, r.text
    inv = r.json()
    assert (inv["preauthorisation"], inv["reference"]) == (number, "FAC-2026-0042")
    assert inv["status"] == "approved" and inv["over_run"] is False
    assert inv["payee_inpe"] == w.clinic.inpe
    assert (inv["charged_centimes"], inv["payable_centimes"], inv["patient_centimes"]) == (
        300_000,
        229_500,
        70_500,
    )
    [line] = inv["lines"]
    assert (line["matched_line"], line["agreed_quantity"], line["agreed_base_centimes"]) == (
        1,
        3,
        3 * DAY,
    )
    assert (line["status"], line["rate_bp"], line["amo_centimes"]) == (
        "accepted",
        PRIVATE_HOSPITAL_BP,
        229_500,
    )
    assert "authorised" in codes(line)
    assert "90 %" in next(x["text"] for x in line["reasons"] if x["code"] == "authorised")

    again = send_invoice(api, number, invoice(3, 300_000, care=day(0)), key="fac-42")
    assert again.status_code == 200 and again.json()["claim"] == inv["claim"]
    assert claims(session) == 1

    final = read(api, number)
    assert final["status"] == "invoiced"
    [summary] = final["invoices"]
    assert summary | {"sent_at": None} == {
        "claim": inv["claim"],
        "reference": "FAC-2026-0042",
        "status": "approved",
        "charged_centimes": 300_000,
        "payable_centimes": 229_500,
        "patient_centimes": 70_500,
        "sent_at": None,
    }
    got = api.get(f"{API}/preauthorisations/{number}/invoices/{inv['claim'].lower()}")
    assert got.status_code == 200 and got.json() == inv | {"lines": got.json()["lines"]}

    # The payment run pays the facility (tiers payant), not the insured.
    report = payments.run(session, "test")
    assert report.claims_paid == 1
    items = session.scalars(select(PaymentItem)).all()
    assert [(i.payee_kind, i.provider_id, i.amo_centimes) for i in items] == [
        ("provider", w.clinic.id, 229_500)
    ]


def test_an_over_run_goes_to_review(api: TestClient, w: World) -> None:
    number = agreed(api, w)
    r = send_invoice(api, number, invoice(4, 400_000, care=day(0)))
    assert r.status_code == 201, r.text
    inv = r.json()
    assert inv["over_run"] is True and inv["status"] == "pending_review"
    assert "above_authorisation" in codes(inv["lines"][0])
    queue = api.get(f"{API}/review-queue").json()
    assert inv["claim"] in [i["claim_number"] for i in queue["items"]]
    assert read(api, number)["status"] == "invoiced"


def test_a_second_invoice_counts_what_the_first_used(api: TestClient, w: World) -> None:
    number = agreed(api, w)
    first = send_invoice(api, number, invoice(2, 200_000, day(0), "FAC-1")).json()
    assert first["status"] == "approved" and first["over_run"] is False
    # one day of the three agreed is left: two more go beyond it
    second = send_invoice(api, number, invoice(2, 200_000, day(2), "FAC-2")).json()
    assert second["status"] == "pending_review" and second["over_run"] is True
    assert "above_authorisation" in codes(second["lines"][0])
    assert [i["reference"] for i in read(api, number)["invoices"]] == ["FAC-1", "FAC-2"]


def test_what_one_invoice_leaves_another_may_use(api: TestClient, w: World) -> None:
    number = agreed(api, w)
    assert send_invoice(api, number, invoice(2, 200_000, day(0))).json()["status"] == "approved"
    last = send_invoice(api, number, invoice(1, 100_000, day(2))).json()
    assert last["status"] == "approved" and last["over_run"] is False
    assert last["payable_centimes"] == apply_rate(DAY, PRIVATE_HOSPITAL_BP)


def test_the_same_care_invoiced_twice_is_a_duplicate(api: TestClient, w: World) -> None:
    number = agreed(api, w)
    send_invoice(api, number, invoice(2, 200_000, day(0), "FAC-1"))
    again = send_invoice(api, number, invoice(2, 200_000, day(0), "FAC-1 bis")).json()
    assert codes(again["lines"][0]) == ["duplicate"] and again["payable_centimes"] == 0


def test_care_in_the_future_is_not_invoiced(api: TestClient, w: World) -> None:
    number = agreed(api, w)
    r = send_invoice(api, number, invoice(1, 100_000, today() + timedelta(days=1)))
    assert fields(r) == {"lines[0].care_date": "is in the future"}
    assert read(api, number)["status"] == "agreed"


@pytest.mark.parametrize(
    ("offset", "covered"),
    [("from", True), ("to", True), ("before", False), ("after", False)],
)
def test_care_is_covered_only_within_the_validity(
    api: TestClient, w: World, offset: str, covered: bool
) -> None:
    start, end = day(2), day(6)
    number = submit(api, stay(w.patient, w.clinic, start=START))["number"]
    decide(api, number, action="agree", valid_from=start.isoformat(), valid_to=end.isoformat())
    care = {
        "from": start,
        "to": end,
        "before": start - timedelta(days=1),
        "after": end + timedelta(days=1),
    }[offset]
    inv = send_invoice(api, number, invoice(1, 100_000, care=care)).json()
    [line] = inv["lines"]
    if covered:
        assert (inv["status"], line["status"], line["matched_line"]) == ("approved", "accepted", 1)
        assert "authorised" in codes(line)
    else:
        assert line["status"] == "rejected" and codes(line) == ["authorisation_required"]
        assert line["amo_centimes"] == 0 and inv["payable_centimes"] == 0
        assert inv["status"] != "approved"


def test_a_line_agreed_to_nothing_is_refused_and_the_others_paid(api: TestClient, w: World) -> None:
    lines = [
        hospital_days(3),
        {"category": "paramedical", "act_key": "AMM", "quantity": 10, "estimate_centimes": 80_000},
    ]
    number = submit(api, stay(w.patient, w.clinic, start=START, lines=lines))["number"]
    agree(api, number, days=0, lines=[{"line_no": 2, "quantity": 0}])
    body = {
        "reference": "FAC-7",
        "lines": [
            invoice_line(3, 300_000, day(0)),
            invoice_line(5, 40_000, day(1), category="paramedical", act_key="AMM"),
        ],
    }
    inv = send_invoice(api, number, body).json()
    stay_line, sessions = inv["lines"]
    assert stay_line["status"] == "accepted" and stay_line["matched_line"] == 1
    assert sessions["status"] == "rejected" and codes(sessions) == ["authorisation_required"]
    assert sessions["matched_line"] is None  # nothing agreed to match it to
    assert inv["payable_centimes"] == 229_500


def test_a_partial_agreement_pays_what_was_agreed(api: TestClient, w: World) -> None:
    number = agreed(api, w, lines=[{"line_no": 1, "quantity": 2}])
    inv = send_invoice(api, number, invoice(2, 200_000, day(0))).json()
    assert (inv["status"], inv["over_run"]) == ("approved", False)
    assert inv["payable_centimes"] == apply_rate(2 * DAY, PRIVATE_HOSPITAL_BP)
    assert inv["lines"][0]["agreed_quantity"] == 2
    other = agreed(api, w, lines=[{"line_no": 1, "quantity": 2}])
    over = send_invoice(api, other, invoice(3, 300_000, day(3)))
    assert over.json()["over_run"] is True


def test_the_key_names_one_invoice(api: TestClient, session: Session, w: World) -> None:
    number = agreed(api, w)
    first = send_invoice(api, number, invoice(3, 300_000, day(0)), key="fac-9")
    assert first.status_code == 201
    other_body = send_invoice(api, number, invoice(2, 200_000, day(0)), key="fac-9")
    refused(other_body, 409, "idempotency_key_reused")
    elsewhere = agreed(api, w)
    r = send_invoice(api, elsewhere, invoice(3, 300_000, day(0)), key="fac-9")
    body = refused(r, 409, "idempotency_key_reused")
    assert first.json()["claim"] in body["detail"] and elsewhere in body["detail"]
    assert claims(session) == 1 and read(api, elsewhere)["status"] == "agreed"


def test_a_key_of_a_care_sheet_is_not_an_invoice(
    api: TestClient, session: Session, w: World
) -> None:
    number = agreed(api, w)
    line = invoice_line(3, 300_000, day(0)) | {"provider_inpe": w.clinic.inpe}
    sheet = {"patient": w.patient.immatriculation, "lines": [line]}
    r = api.post(f"{API}/claims", json=sheet, headers={"Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    r = send_invoice(api, number, invoice(3, 300_000, day(0)), key="k1")
    refused(r, 409, "idempotency_key_reused")
    assert read(api, number)["invoices"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"act_key": "NOPE"}, "lines[0].act_key"),
        ({"charged_centimes": 0}, "lines[0].charged_centimes"),
        ({"quantity": 0}, "lines[0].quantity"),
    ],
)
def test_an_invoice_is_checked_at_the_door_like_a_claim(
    api: TestClient, session: Session, w: World, change: dict[str, Any], field: str
) -> None:
    number = agreed(api, w)
    body = {"reference": "FAC-1", "lines": [invoice_line(3, 300_000, day(0)) | change]}
    assert field in fields(send_invoice(api, number, body))
    assert claims(session) == 0 and read(api, number)["status"] == "agreed"


def test_an_invoice_without_lines_is_refused(api: TestClient, session: Session, w: World) -> None:
    number = agreed(api, w)
    r = send_invoice(api, number, {"reference": "FAC-1", "lines": []})
    assert r.status_code == 400, r.text
    assert claims(session) == 0 and read(api, number)["status"] == "agreed"


def test_an_unknown_invoice_is_not_found(api: TestClient, w: World) -> None:
    number = agreed(api, w)
    r = api.get(f"{API}/preauthorisations/{number}/invoices/CL99999999")
    assert (r.status_code, r.json()["error"]) == (404, "invoice_not_found")
    send_invoice(api, number, invoice(3, 300_000, day(0)))
    other = agreed(api, w)
    claim = read(api, number)["invoices"][0]["claim"]
    r = api.get(f"{API}/preauthorisations/{other}/invoices/{claim}")
    assert (r.status_code, r.json()["error"]) == (404, "invoice_not_found")


def test_the_invoice_event_names_the_reference_or_the_claim(
    api: TestClient, session: Session, w: World
) -> None:
    from tests.preauth.support import events

    number = agreed(api, w)
    inv = send_invoice(api, number, invoice(3, 300_000, day(0), reference="  ")).json()
    assert inv["reference"] == ""
    claim = inv["claim"]
    assert events(session, number)[-1].reason == f"invoice {claim} (claim {claim})"
    assert row(session, number).status == "invoiced"


PROPERTY = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(agreed_days=st.integers(1, 5), days=st.integers(1, 8), a_day=st.integers(100_00, 1_500_00))
def test_an_invoice_is_paid_within_the_units_agreed_and_reviewed_beyond(
    api: TestClient, w: World, agreed_days: int, days: int, a_day: int
) -> None:
    """Whatever the units agreed and invoiced and the price a day: the line is valued at
    min(charged, tariff) and the authorisation's rate; within the units agreed the
    invoice is approved and pays that, beyond them it waits for review."""
    patient = cnss_insured(w.session)  # a patient of its own: no duplicate of an example
    planned = submit(api, stay(patient, w.clinic, days=8, start=START))["number"]
    agree(api, planned, days=0, lines=[{"line_no": 1, "quantity": agreed_days}])
    inv = send_invoice(api, planned, invoice(days, days * a_day, day(0))).json()
    base = min(days * a_day, days * DAY)
    line = inv["lines"][0]
    assert line["base_centimes"] == base and line["rate_bp"] == PRIVATE_HOSPITAL_BP
    assert line["amo_centimes"] == apply_rate(base, PRIVATE_HOSPITAL_BP)
    assert line["patient_centimes"] == days * a_day - line["amo_centimes"]
    assert "authorised" in codes(line)
    if days <= agreed_days:
        assert (inv["status"], inv["over_run"]) == ("approved", False)
        assert inv["payable_centimes"] == line["amo_centimes"]
    else:
        assert (inv["status"], inv["over_run"]) == ("pending_review", True)
        assert "above_authorisation" in codes(line)


def test_an_invoice_for_care_before_the_authorisation_existed_is_matched_by_dates_only(
    api: TestClient, w: World
) -> None:
    """An agreement may cover care already given (an emergency admission): the validity,
    not the submission date, decides."""
    start = today() - timedelta(days=4)
    number = submit(api, stay(w.patient, w.clinic, start=start))["number"]
    decide(api, number, action="agree", valid_to=today().isoformat())
    inv = send_invoice(api, number, invoice(3, 300_000, start)).json()
    assert inv["status"] == "approved" and inv["lines"][0]["care_date"] == start.isoformat()
    assert date.fromisoformat(read(api, number)["valid_from"]) == start
