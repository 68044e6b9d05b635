"""The payment run: who is paid, one transfer per payee, held payees, each line paid once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from daman.claims.models import Claim, ClaimStatusEvent
from daman.core.dates import now, today
from daman.payments import service
from daman.payments.models import PaymentHold, PaymentItem, PaymentTransfer
from daman.registry import builders as rb
from daman.registry.models import Person
from tests.claims.support import NOT_REIMBURSABLE, act, medicine, paper, provider
from tests.payments.support import CARE, approve, census, gp_visit, insured, payable, rib


def transfers(session, batch):
    return list(
        session.scalars(
            select(PaymentTransfer)
            .where(PaymentTransfer.batch_id == batch.id)
            .order_by(PaymentTransfer.id)
        )
    )


def statuses(session, claims):
    rows = session.execute(
        select(Claim.id, Claim.status).where(Claim.id.in_([c.id for c in claims]))
    ).all()
    return {claim_id: status for claim_id, status in rows}


def test_one_transfer_per_payee_grouping_the_lines_it_pays(session):
    amina = insured(session)
    karim = insured(session, regime="CNOPS", first_name="Karim", last_name="Bennani")
    child = rb.dependent(session, karim)  # paid to the principal insured
    doctor, pharmacy = provider(session), provider(session, kind="pharmacy")
    claims = approve(
        session,
        [
            gp_visit(session, amina, drug=True),
            paper(
                amina,
                [
                    act(doctor, CARE + timedelta(days=7), 15_000),
                    medicine(
                        pharmacy, doctor, CARE + timedelta(days=7), NOT_REIMBURSABLE, 2_800
                    ),  # nothing to pay on this line
                ],
            ),
            gp_visit(session, karim, drug=True),
            gp_visit(session, child, 20_000),
        ],
    )
    report = service.run(session, "user:agent", chunk_size=2)

    assert (report.claims_paid, report.lines_paid, report.chunks, len(report.held)) == (
        4,
        6,
        2,
        0,
    )
    assert report.amount_centimes == payable(session, [c.id for c in claims])
    batch = report.batch
    assert (batch.transfers_count, batch.items_count) == (2, 6)
    to_amina, to_karim = transfers(session, batch)
    assert (to_amina.person_id, to_amina.claims_count, to_amina.items_count) == (amina.id, 2, 3)
    assert (to_karim.person_id, to_karim.claims_count, to_karim.items_count) == (karim.id, 2, 3)
    assert to_amina.amount_centimes == payable(session, [claims[0].id, claims[1].id])
    assert to_karim.amount_centimes == payable(session, [claims[2].id, claims[3].id])
    assert to_karim.rib == session.get(Person, karim.id).rib
    assert to_amina.reference == f"{batch.number}-0000001"
    assert batch.total_centimes == to_amina.amount_centimes + to_karim.amount_centimes

    assert set(statuses(session, claims).values()) == {"in_payment"}
    event = session.scalars(
        select(ClaimStatusEvent)
        .where(ClaimStatusEvent.claim_id == claims[3].id)
        .order_by(ClaimStatusEvent.id.desc())
    ).first()
    assert (event.from_status, event.to_status, event.by) == (
        "approved",
        "in_payment",
        "user:agent",
    )
    assert census(session)["max_items_per_line"] == 1


def test_a_rerun_pays_nothing_again(session):
    approve(session, [gp_visit(session, insured(session))])
    first = service.run(session, "test")
    again = service.run(session, "test")
    assert first.claims_paid == 1 and first.batch is not None
    assert (again.claims_paid, again.lines_paid, again.batch) == (0, 0, None)


def test_payees_without_a_valid_rib_are_held_back_with_the_reason(session):
    good = insured(session)
    no_rib = insured(session, rib=None, first_name="Sara")
    bad_key = insured(session, rib=rib()[:22] + "00", first_name="Omar")
    died = insured(session, first_name="Hamid")
    claims = approve(session, [gp_visit(session, p) for p in (good, no_rib, bad_key, died)])
    session.get(Person, died.id).death_date = today() - timedelta(days=3)
    session.flush()

    report = service.run(session, "test")
    assert (report.claims_paid, len(report.held)) == (1, 3)
    assert statuses(session, claims) == {
        claims[0].id: "in_payment",
        claims[1].id: "approved",
        claims[2].id: "approved",
        claims[3].id: "approved",
    }
    held, total = service.held(session, "fr", limit=50, offset=0)
    assert total == 3
    by_payee = {h.payee: h for h in held}
    assert by_payee[no_rib.immatriculation].reason_code == "rib_missing"
    assert by_payee[bad_key.immatriculation].reason_code == "rib_invalid"
    assert "bad RIB key 00" in by_payee[bad_key.immatriculation].reason
    assert by_payee[died.immatriculation].reason_code == "payee_deceased"
    assert by_payee[no_rib.immatriculation].amount_centimes == payable(session, [claims[1].id])
    assert by_payee[no_rib.immatriculation].claims == 1

    # the next run looks again, keeps the date the hold began, and pays a fixed RIB
    first = session.get(PaymentHold, claims[2].id)
    since, checked = first.held_since, first.checked_at
    session.get(Person, no_rib.id).rib = rib()
    session.flush()
    later = service.run(session, "user:later")
    assert (later.claims_paid, len(later.held)) == (1, 2)
    assert session.get(PaymentHold, claims[1].id) is None
    session.expire_all()
    again = session.get(PaymentHold, claims[2].id)
    assert (again.held_since, again.checked_by) == (since, "user:later")
    assert again.checked_at >= checked
    assert statuses(session, claims)[claims[1].id] == "in_payment"


def test_a_dependent_is_paid_in_their_own_name_once_the_principal_died(session):
    principal = insured(session, regime="CNOPS")
    spouse = rb.dependent(
        session, principal, relationship="spouse", birth_date=date(1980, 1, 1), first_name="Nadia"
    )
    session.get(Person, spouse.id).rib = rib()
    session.get(Person, principal.id).death_date = CARE + timedelta(days=20)
    session.flush()
    approve(session, [gp_visit(session, spouse)])
    report = service.run(session, "test")
    (transfer,) = transfers(session, report.batch)
    assert transfer.person_id == spouse.id


def test_the_database_refuses_to_queue_a_line_twice(session):
    (claim,) = approve(session, [gp_visit(session, insured(session))])
    service.run(session, "test")
    item = session.scalars(select(PaymentItem).where(PaymentItem.claim_id == claim.id)).one()
    twin = {
        c: getattr(item, c)
        for c in (
            "claim_id",
            "claim_line_id",
            "payee_kind",
            "person_id",
            "rib",
            "amo_centimes",
            "complementary_centimes",
        )
    }
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(PaymentItem(**twin, created_by="test"))
        session.flush()
    # once the bank has returned the first payment, the line may be paid again
    item.returned_at = now()
    session.flush()
    with session.begin_nested():
        session.add(PaymentItem(**twin, created_by="test"))
        session.flush()


def test_run_and_batches_through_the_api(client, session):
    who = insured(session)
    approve(
        session,
        [gp_visit(session, who), gp_visit(session, who, 18_000, care=CARE + timedelta(days=9))],
    )
    r = client.post("/api/v1/payments/batches", headers={"X-Daman-Actor": "agent7"})
    assert r.status_code == 201, r.text
    run = r.json()
    assert (run["claims_in_payment"], run["claims_held"]) == (2, 0)
    number = run["batch"]["number"]
    assert run["batch"]["created_by"] == "user:agent7"
    assert run["batch"]["transfers_count"] == 1

    again = client.post("/api/v1/payments/batches", json={})
    assert again.status_code == 200 and again.json()["batch"] is None

    listed = client.get("/api/v1/payments/batches").json()
    assert number in [b["number"] for b in listed["items"]]
    one = client.get(f"/api/v1/payments/batches/{number}").json()
    assert (one["pending"], one["settled"], one["rejected"], one["transfers_total"]) == (1, 0, 0, 1)
    (transfer,) = one["transfers"]
    # its file is written, not yet sent: the transfer reads "in payment" until it is
    assert (transfer["payee"], transfer["claims_count"], transfer["status"]) == (
        who.immatriculation,
        2,
        "in_payment",
    )
    assert (one["status"], one["file_name"], one["stale"]) == (
        "file_written",
        f"{number}.pain.001.001.09.xml",
        False,
    )
    assert transfer["amount_centimes"] == one["total_centimes"]
    got = client.get(f"/api/v1/payments/transfers/{transfer['reference']}").json()
    assert got == transfer
    sent = client.post(f"/api/v1/payments/batches/{number}/sent", headers={"X-Daman-Actor": "t"})
    assert (sent.json()["status"], sent.json()["sent_by"]) == ("sent", "user:t")
    got = client.get(f"/api/v1/payments/transfers/{transfer['reference']}").json()
    assert got["status"] == "pending"  # sent, waiting for the bank's return
    status = client.get("/api/v1/payments/status").json()
    assert {s["state"]: s["batches"] for s in status["states"]}["sent"] >= 1
    assert number in [b["number"] for b in status["open_batches"]]

    missing = client.get("/api/v1/payments/batches/PB99999999")
    assert missing.status_code == 404 and missing.json()["error"] == "batch_not_found"


def test_the_execution_date_cannot_be_in_the_past(client):
    r = client.post(
        "/api/v1/payments/batches",
        json={"execution_date": (today() - timedelta(days=1)).isoformat()},
    )
    assert r.status_code == 400
    assert r.json() == {
        "error": "validation_failed",
        "detail": [{"field": "execution_date", "reason": "must be today or later"}],
    }


def test_held_payees_through_the_api_in_arabic(client, session):
    who = insured(session, rib=None)
    approve(session, [gp_visit(session, who)])
    client.post("/api/v1/payments/batches")
    r = client.get("/api/v1/payments/held", headers={"Accept-Language": "ar"})
    assert r.status_code == 200
    (held,) = r.json()["items"]
    assert (held["payee"], held["reason_code"], held["claims"]) == (
        who.immatriculation,
        "rib_missing",
        1,
    )
    assert held["reason"] == "لا يوجد رقم حساب بنكي مسجل للمستفيد."


def test_openapi_declares_the_payment_routes_and_their_errors(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    base = "/api/v1/payments"
    assert {"201", "200", "400", "409"} <= set(paths[f"{base}/batches"]["post"]["responses"])
    assert {"200", "400", "404", "500"} <= set(
        paths[f"{base}/batches/{{number}}/pain001"]["get"]["responses"]
    )
    assert {"201", "400"} <= set(paths[f"{base}/returns"]["post"]["responses"])
    statement = paths[f"{base}/transfers/{{reference}}/statement.pdf"]["get"]["responses"]
    assert {"200", "404", "409", "503"} <= set(statement)
    assert "application/pdf" in statement["200"]["content"]
    assert f"{base}/held" in paths and f"{base}/transfers/{{reference}}/remittance" in paths
