"""Granted periods: what they change for claims (the ALD rate while the period covers the
care date, the ordinary rate before and after), their state on a day, the list of them,
and renewals (a new request starting after the current end; its grant follows it)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.core.dates import today
from tests.claims.support import PDF
from tests.exemptions.support import (
    API,
    DIABETES,
    HYPERTENSION,
    World,
    ask,
    cancel,
    day,
    decide,
    events,
    exemption_row,
    exemptions_of,
    fields,
    grant,
    granted,
    medicine_claim,
    read,
    refused,
    renewal,
    trail,
)


def test_a_grant_moves_a_later_line_to_the_ald_rate_and_its_expiry_moves_it_back(
    api: TestClient, w: World
) -> None:
    start, end = day(-30), day(-5)
    before = medicine_claim(api, w, day(-20))
    assert (before["rate_bp"], before["amo_centimes"]) == (7000, 1295)
    assert [r["code"] for r in before["reasons"]] == ["ok", "ald_not_exempted"]

    number = ask(api, w, requested_from=start.isoformat())["number"]
    doc = api.post(
        f"{API}/ald-exemption-requests/{number}/documents",
        files={"file": ("bilan.pdf", PDF, "application/pdf")},
    )
    assert doc.status_code == 201, doc.text
    body = grant(api, number, valid_to=end.isoformat(), reason="diabète de type 2")
    exemption = body["exemption"]
    assert (exemption["valid_from"], exemption["valid_to"]) == (start.isoformat(), end.isoformat())
    assert exemption["state"] == "expired"  # it ended five days ago
    assert body["documents"][0]["filename"] == "bilan.pdf"

    for care, rate, amo in (
        (start, 9000, 1665),  # its first day: the CNSS ALD rate, 90 %
        (day(-19), 9000, 1665),
        (end, 9000, 1665),  # its last day
        (end + timedelta(days=1), 7000, 1295),  # the day after: the ordinary rate again
    ):
        decided = medicine_claim(api, w, care)
        assert (decided["rate_bp"], decided["amo_centimes"]) == (rate, amo), care
    during = medicine_claim(api, w, day(-10))
    applied = next(r for r in during["reasons"] if r["code"] == "ald_exemption_applied")
    assert DIABETES in applied["text"] and "90 %" in applied["text"]
    # the day before it starts: the ordinary rate, and the line says why
    earlier = medicine_claim(api, w, start - timedelta(days=1))
    assert earlier["rate_bp"] == 7000
    assert "ald_not_exempted" in [r["code"] for r in earlier["reasons"]]


def test_an_exemption_of_another_disease_changes_nothing(api: TestClient, w: World) -> None:
    granted(api, w, day(-30), None, ald_code=HYPERTENSION)
    decided = medicine_claim(api, w, day(-3))
    assert decided["rate_bp"] == 7000 and "ald_not_exempted" in [
        r["code"] for r in decided["reasons"]
    ]


@pytest.mark.parametrize(
    ("start", "end", "state"),
    [
        (1, 10, "upcoming"),
        (0, 10, "active"),
        (-10, 0, "active"),
        (-10, -1, "expired"),
        (-10, None, "active"),
        (1, None, "upcoming"),
    ],
)
def test_the_state_of_a_period_today(
    api: TestClient, w: World, start: int, end: int | None, state: str
) -> None:
    exemption = granted(api, w, day(start), None if end is None else day(end))
    assert exemption["state"] == state
    again = api.get(f"{API}/ald-exemptions/{exemption['id']}").json()
    assert again["state"] == state


def test_the_list_of_periods_by_patient_then_start(
    api: TestClient, session: Session, w: World
) -> None:
    legacy = exemption_row(session, w.patient, date(2015, 1, 1), date(2019, 12, 31))
    recent = granted(api, w, day(-10), day(100))
    other = granted(api, w, day(-500), None, ald_code=HYPERTENSION)
    listed = api.get(f"{API}/ald-exemptions", params={"patient": w.patient.immatriculation})
    items = listed.json()["items"]
    assert [i["id"] for i in items] == [legacy, other["id"], recent["id"]]
    assert [i["state"] for i in items] == ["expired", "active", "active"]
    assert items[0]["reference"] == "legacy" and items[0]["granted_by"] == "test"
    nobody = api.get(f"{API}/ald-exemptions", params={"patient": "DM0000000000"}).json()
    assert nobody["total"] == 0
    page = api.get(
        f"{API}/ald-exemptions",
        params={"patient": w.patient.immatriculation, "limit": 1, "offset": 2},
    ).json()
    assert [i["id"] for i in page["items"]] == [recent["id"]] and page["total"] == 3


# -- renewals ------------------------------------------------------------------------------


def test_a_renewal_starts_the_day_after_the_end_and_its_grant_follows(
    api: TestClient, session: Session, w: World
) -> None:
    end = day(20)
    current = granted(api, w, day(-100), end)
    r = renewal(api, current["id"], icd10=" E11.9 ", notify_email="amina@example.ma")
    assert r.status_code == 201, r.text
    asked = r.json()
    assert (asked["kind"], asked["renews"], asked["status"]) == (
        "renewal",
        current["id"],
        "requested",
    )
    assert asked["requested_from"] == (end + timedelta(days=1)).isoformat()
    assert asked["icd10"] == "E11.9" and asked["patient"] == w.patient.immatriculation
    assert trail(session, asked["number"]) == [(None, "requested", "test", "renewal requested")]
    renewed = grant(api, asked["number"], for_life=True)["exemption"]
    assert renewed["valid_from"] == (end + timedelta(days=1)).isoformat()
    assert renewed["valid_to"] is None and renewed["state"] == "upcoming"
    assert exemptions_of(session, w.patient) == [
        (DIABETES, day(-100), end),
        (DIABETES, end + timedelta(days=1), None),
    ]
    # the history of periods is kept: the first one is unchanged
    assert api.get(f"{API}/ald-exemptions/{current['id']}").json() == current | {
        "granted_at": current["granted_at"]
    }


def test_a_renewal_may_start_after_a_gap(api: TestClient, w: World) -> None:
    current = granted(api, w, day(-400), day(-40))
    r = renewal(api, current["id"], requested_from=today().isoformat())
    assert r.status_code == 201 and r.json()["requested_from"] == today().isoformat()


@pytest.mark.parametrize("start", [0, -1, -300])
def test_a_renewal_starting_before_the_end_is_refused(
    api: TestClient, w: World, start: int
) -> None:
    end = day(20)
    current = granted(api, w, day(-300), end)
    asked = (end + timedelta(days=start)).isoformat()
    r = renewal(api, current["id"], requested_from=asked)
    assert fields(r) == {"requested_from": f"must be after the current end {end}"}


def test_a_renewal_needs_evidence_and_a_known_doctor(api: TestClient, w: World) -> None:
    current = granted(api, w, day(-300), day(20))
    r = renewal(api, current["id"], evidence="  ", doctor_inpe="NOBODY")
    assert fields(r) == {
        "evidence": "required: the medical summary",
        "doctor_inpe": "unknown provider NOBODY",
    }


def test_an_exemption_for_life_is_not_renewed(api: TestClient, w: World) -> None:
    current = granted(api, w, day(-300), None)
    body = refused(renewal(api, current["id"]), 409, "already_exempted")
    assert body["detail"] == f"exemption {current['id']} has no end date: nothing to renew"


def test_an_exemption_is_renewed_once(api: TestClient, session: Session, w: World) -> None:
    current = granted(api, w, day(-300), day(20))
    first = renewal(api, current["id"]).json()["number"]
    # while the renewal is open, a second one is a request already open
    refused(renewal(api, current["id"]), 409, "exemption_request_open")
    grant(api, first)
    body = refused(renewal(api, current["id"]), 409, "already_exempted")
    assert f"exemption {current['id']} was already renewed" in body["detail"]
    assert len(exemptions_of(session, w.patient)) == 2


def test_a_refused_or_withdrawn_renewal_may_be_asked_again(api: TestClient, w: World) -> None:
    current = granted(api, w, day(-300), day(20))
    refused_one = renewal(api, current["id"]).json()["number"]
    decide(api, refused_one, action="refuse", reason="pas de bilan récent")
    withdrawn = renewal(api, current["id"]).json()["number"]
    assert cancel(api, withdrawn).status_code == 200
    third = renewal(api, current["id"])
    assert third.status_code == 201 and third.json()["renews"] == current["id"]


def test_a_renewal_of_an_unknown_exemption_is_not_found(api: TestClient, w: World) -> None:
    refused(renewal(api, 999_999), 404, "exemption_not_found")


def test_a_renewal_granted_from_an_earlier_day_overlaps(
    api: TestClient, session: Session, w: World
) -> None:
    end = day(20)
    current = granted(api, w, day(-300), end)
    number = renewal(api, current["id"]).json()["number"]
    r = api.post(
        f"{API}/ald-exemption-requests/{number}/decision",
        json={"action": "grant", "valid_from": end.isoformat()},
    )
    refused(r, 409, "exemption_overlaps")
    assert read(api, number)["status"] == "requested" and len(events(session, number)) == 1
