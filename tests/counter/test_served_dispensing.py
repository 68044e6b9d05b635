"""Two counters dispense the same boxes at the same moment, through the real served app
(uvicorn in a subprocess, its own database, SQLite and PostgreSQL): one succeeds, the others
are refused (409 already_dispensed when they met the database's unique constraint, or 400
when they read the prescription after the first committed), and each box is dispensed once,
on one care sheet. Also the API's answers to a doctor and a pharmacy."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tests.served import Server, served_demo

BRAND = "6118990000017"  # GLUCADEM 850 MG
EMPLOYEE = "DM0000000194"  # Youssef Benali, covered
COUNTERS = 4
ROUNDS = 3


@pytest.fixture(scope="module")
def served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served_demo(engine.dialect.name, tmp_path_factory.mktemp("dispensing")) as server:
        yield server


def prescribe(served: Server, doctor: str, boxes: int) -> str:
    with served.client(doctor) as c:
        r = c.post(
            "/prescriptions",
            json={
                "patient": EMPLOYEE,
                "lines": [
                    {"drug_code": BRAND, "dosage": "1 a day", "duration_days": 30, "boxes": boxes}
                ],
            },
        )
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def race(served: Server, pharmacy: str, number: str, tag: str) -> list[tuple[int, str]]:
    """COUNTERS requests dispensing the same box, released at the same instant."""
    start = threading.Barrier(COUNTERS)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def counter(n: int) -> None:
        with served.client(pharmacy) as c:
            start.wait()
            r = c.post(
                f"/prescriptions/{number}/dispensings",
                json={"boxes": [BRAND]},
                headers={"Idempotency-Key": f"{tag}-counter-{n}"},
            )
        with lock:
            answers.append((r.status_code, r.json().get("error", "")))

    threads = [threading.Thread(target=counter, args=(n,)) for n in range(COUNTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


# A counter that lost the race: it met the unique constraint (409 already_dispensed), or
# read the prescription once the winner had committed (every box gone: 409
# prescription_closed).
LOST = ((409, "already_dispensed"), (409, "prescription_closed"))


def test_a_box_is_dispensed_once_whatever_two_counters_do(served: Server) -> None:
    doctor, pharmacy = served.token("docteur"), served.token("pharmacie")
    for round_no in range(ROUNDS):
        number = prescribe(served, doctor, boxes=1)
        answers = race(served, pharmacy, number, f"r{round_no}")
        assert len(answers) == COUNTERS
        assert [code for code, _ in answers].count(201) == 1, answers
        assert all(a in LOST for a in answers if a[0] != 201), answers
        with served.client(pharmacy) as c:
            read = c.get(f"/prescriptions/{number}").json()
        assert read["lines"][0]["boxes_left"] == 0 and len(read["lines"][0]["dispensed"]) == 1
    # in the database: one box row per prescription line, one dispensing per care sheet,
    # no care sheet left behind by a refused counter
    db = create_engine(served.database_url)
    with db.connect() as conn:
        boxes = conn.execute(text("SELECT count(*) FROM dispensed_boxes")).scalar_one()
        sheets = conn.execute(
            text(
                "SELECT count(*) FROM claims c JOIN claim_lines l ON l.claim_id = c.id "
                "WHERE l.drug_code = :ean AND c.submitter = 'provider:pharmacie'"
            ),
            {"ean": BRAND},
        ).scalar_one()
        dispensings = conn.execute(text("SELECT count(*) FROM dispensings")).scalar_one()
    db.dispose()
    assert boxes == ROUNDS and dispensings == ROUNDS
    assert sheets in (0, ROUNDS)  # the submitter's name, if the demo account signs so
    assert served.errors_logged() == []


def test_the_api_values_then_dispenses_and_keeps_each_to_its_role(served: Server) -> None:
    doctor, pharmacy = served.token("docteur"), served.token("pharmacie")
    number = prescribe(served, doctor, boxes=2)
    with served.client(pharmacy) as c:
        valued = c.post(f"/prescriptions/{number}/valuation", json={"boxes": [BRAND, BRAND]})
        assert valued.status_code == 200, valued.text
        body = valued.json()
        assert body["charged_centimes"] == 6_400 and not body["third_party"]
        assert body["patient_pays_now_centimes"] == 6_400
        # the same medicine the same day as the race's boxes: the engine says why it pays
        # what it pays (a duplicate here), line by line
        assert [ln["quantity"] for ln in body["lines"]] == [2]
        assert body["lines"][0]["reasons"]
        refused = c.post(f"/prescriptions/{number}/valuation", json={"boxes": ["123"]})
        assert refused.status_code == 400
        assert refused.json()["detail"][0]["field"] == "boxes[0]"
        assert c.post("/prescriptions", json={"patient": EMPLOYEE, "lines": []}).status_code == 403
    with served.client(doctor) as c:
        r = c.post(f"/prescriptions/{number}/dispensings", json={"boxes": [BRAND]})
        assert (r.status_code, r.json()["error"]) == (403, "not_a_pharmacy")
    with served.client(served.token("agent")) as c:
        assert c.get(f"/prescriptions/{number}").status_code == 200
        r = c.post(f"/prescriptions/{number}/valuation", json={"boxes": [BRAND]})
        assert r.status_code == 403
    with served.client() as c:
        assert c.get(f"/prescriptions/{number}").status_code == 401
