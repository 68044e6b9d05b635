"""Asking for an exemption: what is stored, the first status event, the evidence attached,
and every refusal naming its field and reason, or its conflict (already exempted, a
request already open), with nothing stored."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.core.dates import today
from daman.exemptions.models import AldExemptionRequest
from tests.claims.support import PDF, PNG
from tests.exemptions.support import (
    API,
    DIABETES,
    EMAIL,
    HYPERTENSION,
    World,
    ask,
    asking,
    cancel,
    day,
    events,
    exemption_row,
    fields,
    grant,
    outbox,
    post_request,
    read,
    refused,
    row,
)


def stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AldExemptionRequest)) or 0


def test_a_request_is_stored_with_its_first_event(
    api: TestClient, session: Session, w: World
) -> None:
    body = ask(api, w, icd10=" E11 ", evidence="  HbA1c 9.1 %  ")
    number = body["number"]
    assert number.startswith("EX") and len(number) == 10 and number[2:].isdigit()
    assert body | {"requested_at": None, "history": None} == {
        "number": number,
        "patient": w.patient.immatriculation,
        "ald_code": DIABETES,
        "ald_name": body["ald_name"],
        "kind": "first",
        "renews": None,
        "status": "requested",
        "requested_from": today().isoformat(),  # default: today
        "icd10": "E11",
        "evidence": "HbA1c 9.1 %",
        "doctor_inpe": w.doctor.inpe,
        "requested_at": None,
        "requested_by": "test",
        "decided_at": None,
        "decided_by": None,
        "decision_reason": "",
        "exemption": None,
        "documents": [],
        "history": None,
    }
    assert body["ald_name"].startswith("Diabète")
    [event] = events(session, number)
    assert (event.from_status, event.to_status, event.by, event.reason) == (
        None,
        "requested",
        "test",
        "exemption requested",
    )
    stored_row = row(session, number)
    assert (stored_row.notify_email, stored_row.created_by) == (EMAIL, "test")
    assert outbox(session, number) == []  # the requester is told of the decision only


def test_a_request_may_ask_for_a_start_in_the_past_or_the_future(api: TestClient, w: World) -> None:
    past = ask(api, w, requested_from=day(-90).isoformat())
    assert past["requested_from"] == day(-90).isoformat()
    future = ask(api, w, ald_code=HYPERTENSION, requested_from=day(30).isoformat())
    assert future["requested_from"] == day(30).isoformat()


def test_the_disease_code_is_read_in_any_case(api: TestClient, w: World) -> None:
    assert ask(api, w, ald_code=" ald09 ")["ald_code"] == DIABETES


def test_the_requester_is_the_actor(client: TestClient, session: Session, w: World) -> None:
    r = client.post(
        f"{API}/ald-exemption-requests", json=asking(w), headers={"X-Daman-Actor": "salma"}
    )
    assert r.status_code == 201, r.text
    assert events(session, r.json()["number"])[0].by == "user:salma"
    assert r.json()["requested_by"] == "user:salma"


def _set(**change: Any) -> dict[str, Any]:
    return change


REFUSALS = [
    (_set(patient="DM0000000000"), "patient", "unknown patient, or not one of yours"),
    (_set(ald_code="ALD99"), "ald_code", "not on the ALD list: ALD99"),
    (_set(requested_from="2004-12-31"), "ald_code", "not on the ALD list on 2004-12-31"),
    (_set(evidence="   "), "evidence", "required: the medical summary"),
    (_set(evidence=""), "evidence", "required: the medical summary"),
    (_set(doctor_inpe="NOBODY"), "doctor_inpe", "unknown provider NOBODY"),
]


@pytest.mark.parametrize(
    ("change", "field", "reason"), REFUSALS, ids=[f"{f}:{r[:25]}" for _, f, r in REFUSALS]
)
def test_a_bad_field_is_named_and_nothing_stored(
    api: TestClient, session: Session, w: World, change: dict[str, Any], field: str, reason: str
) -> None:
    r = post_request(api, asking(w, **change))
    assert fields(r) == {field: reason}
    assert stored(session) == 0


def test_every_problem_is_named_at_once(api: TestClient, session: Session, w: World) -> None:
    r = post_request(
        api,
        {"patient": "DM0000000000", "ald_code": "ALD99", "evidence": "  ", "doctor_inpe": "X"},
    )
    assert set(fields(r)) == {"patient", "ald_code", "evidence", "doctor_inpe"}
    assert stored(session) == 0


def test_the_list_holds_from_the_day_it_came_in_force(api: TestClient, w: World) -> None:
    """The ALD list of the reference data is in force from 2005-09-05."""
    assert ask(api, w, requested_from="2005-09-05")["requested_from"] == "2005-09-05"
    r = post_request(api, asking(w, ald_code=HYPERTENSION, requested_from="2005-09-04"))
    assert fields(r) == {"ald_code": "not on the ALD list on 2005-09-04"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"notify_email": "nope"}, "notify_email"),
        ({"requested_from": "demain"}, "requested_from"),
        ({"surprise": 1}, "surprise"),
        ({"ald_code": ""}, "ald_code"),
        ({"evidence": "x" * 5001}, "evidence"),
    ],
)
def test_a_malformed_request_is_422(
    api: TestClient, session: Session, w: World, change: dict[str, Any], field: str
) -> None:
    r = post_request(api, asking(w) | change)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["detail"]}
    assert stored(session) == 0


def test_the_address_is_checked_before_anything_else(api: TestClient) -> None:
    r = post_request(
        api,
        {"patient": "DM0000000000", "ald_code": "ALD09", "evidence": "x", "notify_email": "nope"},
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "field": "notify_email",
            "reason": "value is not a valid email address: An email address must have an @-sign.",
        }
    ]


def test_a_bidirectional_control_in_the_evidence_is_refused(api: TestClient, w: World) -> None:
    r = post_request(api, asking(w, evidence="HbA1c \u202e%1.9"))
    assert set(fields(r)) == {"evidence"}


def test_one_open_request_per_patient_and_disease(
    api: TestClient, session: Session, w: World
) -> None:
    first = ask(api, w)["number"]
    r = post_request(api, asking(w, requested_from=day(10).isoformat()))
    body = refused(r, 409, "exemption_request_open")
    assert w.patient.immatriculation in body["detail"] and DIABETES in body["detail"]
    assert stored(session) == 1
    # another disease is another request; once the first is withdrawn, a new one may come
    assert ask(api, w, ald_code=HYPERTENSION)["status"] == "requested"
    assert cancel(api, first).status_code == 200
    assert ask(api, w)["status"] == "requested"


def test_a_patient_exempted_on_the_start_asks_for_a_renewal_instead(
    api: TestClient, session: Session, w: World
) -> None:
    period = exemption_row(session, w.patient, day(-100), day(100))
    for start in (day(-100), day(0), day(100)):
        r = post_request(api, asking(w, requested_from=start.isoformat()))
        body = refused(r, 409, "already_exempted")
        assert f"exemption {period}" in body["detail"] and "renewal" in body["detail"]
    for_life = exemption_row(session, w.patient, day(-5), None, code=HYPERTENSION)
    r = post_request(api, asking(w, ald_code=HYPERTENSION))
    body = refused(r, 409, "already_exempted")
    assert f"exemption {for_life}" in body["detail"] and "no end date" in body["detail"]
    assert stored(session) == 0


def test_a_patient_exempted_later_or_earlier_may_ask_for_the_days_outside(
    api: TestClient, session: Session, w: World
) -> None:
    exemption_row(session, w.patient, day(10), day(100))
    assert ask(api, w, requested_from=day(9).isoformat())["status"] == "requested"
    exemption_row(session, w.patient, date(2015, 1, 1), day(-1), code=HYPERTENSION)
    assert ask(api, w, ald_code=HYPERTENSION)["requested_from"] == today().isoformat()


def test_evidence_is_attached_to_an_open_request_once(
    api: TestClient, session: Session, w: World
) -> None:
    number = ask(api, w)["number"]
    url = f"{API}/ald-exemption-requests/{number}/documents"
    first = api.post(url, files={"file": ("bilan.pdf", PDF, "application/pdf")})
    assert first.status_code == 201, first.text
    doc = first.json()
    assert (doc["filename"], doc["content_type"], doc["size_bytes"]) == (
        "bilan.pdf",
        "application/pdf",
        len(PDF),
    )
    again = api.post(url, files={"file": ("copie.pdf", PDF, "application/pdf")})
    assert again.status_code == 200 and again.json()["id"] == doc["id"]
    image = api.post(url, files={"file": ("ordonnance.png", PNG, "image/png")})
    assert image.status_code == 201
    assert [d["filename"] for d in read(api, number)["documents"]] == [
        "bilan.pdf",
        "ordonnance.png",
    ]
    got = api.get(f"{url}/{doc['id']}")
    assert got.status_code == 200 and got.content == PDF
    assert api.get(f"{url}/999999").status_code == 404
    bad = api.post(url, files={"file": ("x.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert bad.status_code == 400
    assert len(events(session, number)) == 1  # evidence changes no status


@pytest.mark.parametrize("status", ["granted", "refused", "cancelled"])
def test_no_evidence_once_the_request_is_closed(api: TestClient, w: World, status: str) -> None:
    number = ask(api, w)["number"]
    if status == "granted":
        grant(api, number)
    elif status == "refused":
        api.post(
            f"{API}/ald-exemption-requests/{number}/decision",
            json={"action": "refuse", "reason": "non"},
        )
    else:
        cancel(api, number)
    r = api.post(
        f"{API}/ald-exemption-requests/{number}/documents",
        files={"file": ("bilan.pdf", PDF, "application/pdf")},
    )
    body = refused(r, 409, "exemption_request_not_open")
    assert number in body["detail"] and status in body["detail"]
    assert read(api, number)["documents"] == []


def test_an_unknown_request_is_not_found(api: TestClient) -> None:
    r = api.get(f"{API}/ald-exemption-requests/EX99999999")
    assert r.json() == {
        "error": "exemption_request_not_found",
        "detail": "no exemption request EX99999999",
    }
    assert api.get(f"{API}/ald-exemptions/999999").json()["error"] == "exemption_not_found"


def test_the_list_is_oldest_first_and_filtered(api: TestClient, w: World) -> None:
    first = ask(api, w)["number"]
    second = ask(api, w, ald_code=HYPERTENSION)["number"]
    listed = api.get(f"{API}/ald-exemption-requests").json()
    assert [i["number"] for i in listed["items"]] == [first, second]
    assert listed["items"][0] | {"requested_at": None} == {
        "number": first,
        "patient": w.patient.immatriculation,
        "ald_code": DIABETES,
        "kind": "first",
        "status": "requested",
        "requested_from": today().isoformat(),
        "requested_at": None,
    }
    cancel(api, first)
    by_status = api.get(f"{API}/ald-exemption-requests", params={"status": "requested"}).json()
    assert [i["number"] for i in by_status["items"]] == [second]
    nobody = api.get(f"{API}/ald-exemption-requests", params={"patient": "DM0000000000"}).json()
    assert nobody["total"] == 0
    mine = api.get(
        f"{API}/ald-exemption-requests", params={"patient": w.patient.immatriculation}
    ).json()
    assert mine["total"] == 2
