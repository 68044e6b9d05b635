"""The bank's return: camt.054 round trip with a rejection, re-import, rejected lists."""

from __future__ import annotations

from sqlalchemy import select

from daman.claims.models import Claim, ClaimStatusEvent
from daman.core.errors import ValidationFailed
from daman.payments import service
from daman.payments.models import PaymentBatch, PaymentItem, PaymentTransfer
from daman.registry.models import Person
from tests.payments.support import approve, camt054, census, gp_visit, insured, rib


def pay_three(session):
    """Three insured paid in one batch: their claims and the batch's transfers."""
    people = [insured(session) for _ in range(3)]
    claims = approve(session, [gp_visit(session, p, drug=True) for p in people])
    batch = service.run(session, "test").batch
    transfers = session.scalars(
        select(PaymentTransfer)
        .where(PaymentTransfer.batch_id == batch.id)
        .order_by(PaymentTransfer.id)
    ).all()
    return people, claims, batch, transfers


def status_of(session, claim):
    return session.scalar(select(Claim.status).where(Claim.id == claim.id))


def test_camt054_round_trip_settles_and_rejects(session):
    people, claims, batch, (t1, t2, t3) = pay_three(session)
    notice = camt054(
        [
            (t1.reference, t1.amount_centimes, "DBIT", None),
            (t2.reference, t2.amount_centimes, "DBIT", None),
            (t3.reference, t3.amount_centimes, "CRDT", "AC04"),  # returned: account closed
        ]
    )
    result = service.import_return(session, "camt054-0105.xml", notice, "cli:treasurer")
    assert (result.format, result.message_id) == ("camt.054", "CAMT-0001")
    assert (result.settled, result.rejected, result.unchanged, result.unmatched) == (2, 1, 0, [])

    session.expire_all()
    assert [t.status for t in (t1, t2, t3)] == ["settled", "settled", "rejected"]
    assert (t3.return_code, t3.return_reason) == ("AC04", "Compte clôturé")
    assert session.get(PaymentBatch, batch.id).status == "reconciled"
    # the rejected transfer's claim is approved again, with the bank's reason on record
    assert [status_of(session, c) for c in claims] == ["paid", "paid", "approved"]
    event = session.scalars(
        select(ClaimStatusEvent)
        .where(ClaimStatusEvent.claim_id == claims[2].id)
        .order_by(ClaimStatusEvent.id.desc())
    ).first()
    assert (event.from_status, event.to_status, event.by) == ("paid", "approved", "cli:treasurer")
    assert t3.reference in event.reason and "AC04" in event.reason
    returned = session.scalars(select(PaymentItem).where(PaymentItem.transfer_id == t3.id)).all()
    assert returned and all(i.returned_at is not None for i in returned)

    # importing the same file again changes nothing
    before = census(session)
    again = service.import_return(session, "camt054-0105.xml", notice, "cli:treasurer")
    assert (again.settled, again.rejected, again.unchanged) == (0, 0, 3)
    assert census(session) == before

    # the next run holds the payee back while the rejected RIB is unchanged ...
    held = service.run(session, "test")
    assert (held.claims_paid, held.batch, len(held.held)) == (0, None, 1)
    (reason,) = service.held(session, "en", limit=10, offset=0)[0]
    assert reason.reason_code == "rib_rejected" and "AC04" in reason.reason

    # ... and pays the line again, once, after the RIB is fixed
    session.get(Person, people[2].id).rib = rib()
    session.flush()
    repaid = service.run(session, "test")
    assert (repaid.claims_paid, repaid.lines_paid) == (1, 2)
    assert repaid.batch.total_centimes == t3.amount_centimes
    after = census(session)
    assert (after["max_items_per_line"], after["unassigned"], after["claims"]) == (
        1,
        0,
        {"paid": 2, "in_payment": 1},  # the new batch's file is not sent yet
    )


def test_a_temporary_rejection_is_retried_and_an_account_one_held(session):
    """The ISO reason decides: a cut-off (TM01) is paid again to the same RIB in the next
    run; a closed account (AC04) holds the payee until the RIB changes; each says so."""
    _, claims, _, (t1, t2, _) = pay_three(session)
    notice = camt054(
        [
            (t1.reference, t1.amount_centimes, "CRDT", "TM01"),
            (t2.reference, t2.amount_centimes, "CRDT", "AC04"),
        ]
    )
    assert service.import_return(session, "c.xml", notice, "t").rejected == 2
    histories = [
        session.scalars(
            select(ClaimStatusEvent.reason)
            .where(ClaimStatusEvent.claim_id == c.id)
            .order_by(ClaimStatusEvent.id.desc())
        ).first()
        for c in claims[:2]
    ]
    assert "paid again in the next payment run" in histories[0]
    assert "paid again once the RIB is fixed" in histories[1]

    rerun = service.run(session, "test")
    assert (rerun.claims_paid, len(rerun.held)) == (1, 1)
    assert status_of(session, claims[0]) == "in_payment"  # retried, same RIB
    assert status_of(session, claims[1]) == "approved"  # held: the account is closed
    (held,) = service.held(session, "fr", limit=10, offset=0)[0]
    assert held.reason_code == "rib_rejected" and "AC04" in held.reason


def test_a_return_after_settlement_rejects_the_settled_transfer(session):
    _, claims, _, (t1, _, _) = pay_three(session)
    service.import_return(
        session, "day1.xml", camt054([(t1.reference, t1.amount_centimes, "DBIT", None)]), "t"
    )
    later = camt054([(t1.reference, t1.amount_centimes, "CRDT", "MD07")])
    result = service.import_return(session, "day3.xml", later, "t")
    assert result.rejected == 1
    session.expire_all()
    assert (t1.status, t1.return_code) == ("rejected", "MD07")
    assert status_of(session, claims[0]) == "approved"
    # a late settlement notice for a rejected transfer changes nothing
    stale = service.import_return(
        session, "day1-again.xml", camt054([(t1.reference, t1.amount_centimes, "DBIT", None)]), "t"
    )
    assert (stale.settled, stale.unchanged) == (0, 1)
    session.expire_all()
    assert t1.status == "rejected"


def test_pending_entries_are_ignored_and_unknown_references_reported(session):
    _, _, batch, (t1, _, _) = pay_three(session)
    pending = camt054([(t1.reference, t1.amount_centimes, "DBIT", None)], status="PDNG")
    result = service.import_return(session, "pending.xml", pending, "t")
    assert (result.settled, result.ignored) == (0, 1)
    unknown = camt054([("SALARY-2026-01", 1_000_000, "DBIT", None)])
    result = service.import_return(session, "other.xml", unknown, "t")
    assert (result.settled, result.unmatched) == (0, ["SALARY-2026-01"])
    session.expire_all()
    assert session.get(PaymentBatch, batch.id).status == "file_written"


def test_a_settled_amount_that_differs_is_refused_and_nothing_applied(session):
    _, _, _, (t1, t2, _) = pay_three(session)
    notice = camt054(
        [
            (t1.reference, t1.amount_centimes, "DBIT", None),
            (t2.reference, t2.amount_centimes + 1, "DBIT", None),
        ]
    )
    try:
        service.import_return(session, "bad.xml", notice, "t")
    except ValidationFailed as exc:
        assert exc.code == "return_amount_mismatch"
        assert exc.detail[0].field == "Ntfctn[1].Ntry[2].TxDtls[1].Amt"
    else:
        raise AssertionError("the mismatch was accepted")
    session.expire_all()
    assert (t1.status, t2.status) == ("pending", "pending")


def test_a_rejected_payment_list(session):
    _, claims, _, (t1, t2, _) = pay_three(session)
    listing = (
        "end_to_end_id;reason_code;reason\n"
        f"{t1.reference};AC01;\n"
        f"{t2.reference.lower()};BE05;Donneur d'ordre inconnu\n"
    ).encode()
    result = service.import_return(session, "rejets.csv", listing, "t")
    assert (result.format, result.rejected) == ("csv", 2)
    session.expire_all()
    assert (t1.return_code, t1.return_reason) == ("AC01", "incorrect account number")
    assert (t2.return_code, t2.return_reason) == ("BE05", "Donneur d'ordre inconnu")
    assert [status_of(session, c) for c in claims] == ["approved", "approved", "paid"]


def test_returns_through_the_api(client, session):
    _, _, _, (t1, _, _) = pay_three(session)
    notice = camt054([(t1.reference, t1.amount_centimes, "DBIT", None)])
    r = client.post(
        "/api/v1/payments/returns",
        files={"file": ("camt054.xml", notice, "application/xml")},
        headers={"X-Daman-Actor": "bank-sync"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["settled"], body["imported_by"], body["filename"]) == (
        1,
        "user:bank-sync",
        "camt054.xml",
    )
    transfer = client.get(f"/api/v1/payments/transfers/{t1.reference}").json()
    assert transfer["status"] == "settled" and transfer["settled_at"] is not None

    wrong = client.post(
        "/api/v1/payments/returns",
        files={"file": ("pain.xml", b'<?xml version="1.0"?><Document xmlns="urn:x"/>', "text/xml")},
    )
    assert wrong.status_code == 400
    assert wrong.json()["detail"][0]["field"] == "file"
    not_csv = client.post(
        "/api/v1/payments/returns", files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}
    )
    assert not_csv.status_code == 400
    assert "end_to_end_id" in not_csv.json()["detail"][0]["reason"]


def test_rejected_payment_is_paid_again_after_the_rib_is_fixed_through_the_api(client, session):
    who = insured(session)
    (claim,) = approve(session, [gp_visit(session, who, drug=True)])
    number = client.post("/api/v1/payments/batches").json()["batch"]["number"]
    (transfer,) = client.get(f"/api/v1/payments/batches/{number}").json()["transfers"]
    assert client.get(f"/api/v1/payments/batches/{number}/pain001").status_code == 200

    notice = camt054([(transfer["reference"], transfer["amount_centimes"], "CRDT", "AC01")])
    r = client.post("/api/v1/payments/returns", files={"file": ("c.xml", notice, "text/xml")})
    assert r.json()["rejected"] == 1
    assert client.get(f"/api/v1/claims/{claim.number}").json()["status"] == "approved"
    assert client.post("/api/v1/payments/batches").json()["claims_held"] == 1
    (held,) = client.get("/api/v1/payments/held").json()["items"]
    assert (held["payee"], held["reason_code"]) == (who.immatriculation, "rib_rejected")

    fixed = client.patch(f"/api/v1/insured/{who.immatriculation}", json={"rib": rib()})
    assert fixed.status_code == 200, fixed.text
    again = client.post("/api/v1/payments/batches").json()
    assert (again["claims_in_payment"], again["claims_held"]) == (1, 0)
    assert again["batch"]["total_centimes"] == transfer["amount_centimes"]
    assert client.get("/api/v1/payments/held").json()["total"] == 0
    assert client.get(f"/api/v1/claims/{claim.number}").json()["status"] == "in_payment"
    sent = client.post(f"/api/v1/payments/batches/{again['batch']['number']}/sent")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert client.get(f"/api/v1/claims/{claim.number}").json()["status"] == "paid"
    assert census(session)["max_items_per_line"] == 1
