"""A 201 means stored: through the real served app (uvicorn in a subprocess, a keep-alive
HTTP client), on SQLite and PostgreSQL.

1. create-then-read at once, 500 times for each kind of object (claims, persons with their
   contributions, tokens, pre-authorisations, exemption requests), the five kinds at once;
2. 8 clients post claims for 20 s: no 5xx, every 201 readable, as many stored as answered;
3. the server is SIGKILLed while clients post claims with idempotency keys; after a restart
   they retry what got no answer: every claim answered 201 is stored, none twice.
"""

from __future__ import annotations

import ast
import itertools
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

import daman
from daman.auth.access import Principal, current_principal
from daman.claims.models import Claim
from daman.core.dates import today
from daman.core.db import get_session
from daman.registry.models import Person
from tests.served import Server, served_demo

CREATE_THEN_READ = 500
LOAD_SECONDS = 20
LOAD_CLIENTS = 8

# Demo persons covered today (README tour) and the GP of the demo.
COVERED = ["DM0000000194", "DM0000000291", "DM0000000388", "DM0000000679", "DM0000001261"]
GP = "910000001"


@pytest.fixture(scope="module")
def served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo, served; sign-in throttling opened wide for the token test."""
    tmp = tmp_path_factory.mktemp("served")
    with served_demo(engine.dialect.name, tmp, DAMAN_SIGN_IN_LIMIT="100000") as server:
        yield server


def stored_claims(server: Server, keys: list[str] | None = None) -> Counter[str]:
    """Claims in the server's database by idempotency key (all, or those of `keys`)."""
    eng = create_engine(server.database_url)
    try:
        with eng.connect() as conn:
            query = select(Claim.idempotency_key, func.count()).group_by(Claim.idempotency_key)
            if keys is not None:
                query = query.where(Claim.idempotency_key.in_(keys))
            return Counter({k: n for k, n in conn.execute(query) if k is not None})
    finally:
        eng.dispose()


def immatriculations(server: Server, count: int) -> list[str]:
    """The first `count` persons of the server's registry."""
    eng = create_engine(server.database_url)
    try:
        with eng.connect() as conn:
            query = select(Person.immatriculation).order_by(Person.id).limit(count)
            return list(conn.scalars(query))
    finally:
        eng.dispose()


def claim_body(i: int) -> dict[str, Any]:
    care = today() - timedelta(days=i % 40)
    return {
        "patient": COVERED[i % len(COVERED)],
        "lines": [
            {
                "category": "consultation",
                "care_date": care.isoformat(),
                "provider_inpe": GP,
                "act_key": "C",
                "charged_centimes": 15000 + i % 997,
            }
        ],
    }


# -- the route table ------------------------------------------------------------------------


def test_every_route_commits_before_it_answers():
    """Every route's database session ends (commits) before the response is sent: the
    session dependency has scope "function" wherever it is used, directly or through the
    sign-in dependencies."""
    from fastapi.dependencies.models import Dependant

    from daman.app import create_app

    def sessions(dep: Dependant) -> Iterator[Dependant]:
        for sub in dep.dependencies:
            if sub.call is get_session:
                yield sub
            yield from sessions(sub)

    checked = 0
    for context in iter_route_contexts(create_app().routes):  # included routers, flattened
        route = context.original_route
        if isinstance(route, APIRoute):
            for dep in sessions(route.dependant):
                assert dep.scope == "function", f"{context.path}: Depends(get_session), not SESSION"
                checked += 1
    assert checked > 80


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (OperationalError("COMMIT", {}, Exception("database is locked")), 503, "database_busy"),
        (IntegrityError("COMMIT", {}, Exception("UNIQUE constraint failed")), 409, "conflict"),
    ],
)
def test_a_commit_that_fails_answers_an_error_not_a_success(
    database_url, monkeypatch, failure, status, code
):
    """The commit runs before the answer: when it fails, the client gets the error."""
    from daman.app import create_app
    from daman.core import db as core_db

    core_db.set_engine(core_db.make_engine(database_url))
    app = create_app()
    app.dependency_overrides[current_principal] = lambda: Principal.system("user:tester")

    def commit(self: Session) -> None:
        raise failure

    employer = {"number": "7700001", "name": "Atlas", "city": "Tanger"}
    with TestClient(app, raise_server_exceptions=False) as c:
        monkeypatch.setattr(Session, "commit", commit)
        r = c.post("/api/v1/employers", json=employer)
        monkeypatch.undo()
        assert (r.status_code, r.json()["error"]) == (status, code)
        assert r.headers.get("Retry-After") == ("1" if status == 503 else None)
        assert c.get("/api/v1/employers/7700001").status_code == 404  # nothing stored


def test_commands_print_only_after_their_commit():
    """No command prints inside its unit of work: what it reports is committed."""
    inside = []
    for path in sorted(Path(daman.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.With) and any(
                "unit_of_work" in ast.unparse(item.context_expr) for item in node.items
            ):
                inside += [
                    f"{path.name}:{call.lineno}"
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call)
                    and ast.unparse(call.func).endswith((".print", "echo"))
                ]
    assert inside == []


# -- 1. create, then read at once ------------------------------------------------------------


def _claims(server: Server, token: str, run: str) -> None:
    with server.client(token) as c:
        for i in range(CREATE_THEN_READ):
            r = c.post("/claims", json=claim_body(i), headers={"Idempotency-Key": f"{run}-{i}"})
            assert r.status_code == 201, r.text
            number = r.json()["number"]
            got = c.get(f"/claims/{number}")
            assert got.status_code == 200, f"claim {number} answered 201, then: {got.text}"


def _persons(server: Server, token: str, run: str) -> None:
    serial = int(run[:4], 16) % 100  # several runs on one database do not collide
    with server.client(token) as c:
        employer = f"77{serial:02d}001"
        r = c.post("/employers", json={"number": employer, "name": "Atlas", "city": "Tanger"})
        assert r.status_code == 201, r.text
        for i in range(CREATE_THEN_READ):
            person = {
                "cnie": f"ZT{serial:02d}{i:06d}",
                "last_name": "Bennani",
                "first_name": f"Test {i}",
                "birth_date": "1990-01-25",
                "sex": "F",
                "regime": "CNSS_SAL",
                "employer_number": employer,
                "valid_from": "2024-01-10",
            }
            r = c.post("/insured", json=person)
            assert r.status_code == 201, r.text
            number = r.json()["immatriculation"]
            months = [{"month": "2024-01", "declared_days": 26}]
            got = c.post(f"/insured/{number}/contributions", json={"items": months})
            assert got.status_code == 200, f"person {number} answered 201, then: {got.text}"


def _tokens(server: Server, _token: str, _run: str) -> None:
    with server.client() as c:
        for _ in range(CREATE_THEN_READ):
            r = c.post("/auth/tokens", json={"username": "agent", "password": "daman-demo-2026"})
            assert r.status_code == 201, r.text
            auth = {"Authorization": f"Bearer {r.json()['token']}"}
            got = c.get("/auth/me", headers=auth)
            assert got.status_code == 200, f"token answered 201, then: {got.text}"


def _preauths(server: Server, token: str, _run: str) -> None:
    with server.client(token) as c:
        for i in range(CREATE_THEN_READ):
            body = {
                "patient": COVERED[i % len(COVERED)],
                "provider_inpe": "960000001",
                "care_kind": "hospitalisation",
                "planned_start": today().isoformat(),
                "diagnosis": "cholécystectomie",
                "lines": [
                    {
                        "category": "hospitalisation",
                        "act_key": "HOSP_MED",
                        "quantity": 3,
                        "estimate_centimes": 300000,
                    }
                ],
            }
            r = c.post("/preauthorisations", json=body)
            assert r.status_code == 201, r.text
            number = r.json()["number"]
            got = c.get(f"/preauthorisations/{number}")
            assert got.status_code == 200, f"{number} answered 201, then: {got.text}"


def _exemptions(server: Server, token: str, _run: str) -> None:
    # one open request per person and disease: 500 persons
    patients = immatriculations(server, CREATE_THEN_READ)
    with server.client(token) as c:
        for patient in patients:
            body = {"patient": patient, "ald_code": "ALD08", "evidence": "HbA1c 9.1 %"}
            r = c.post("/ald-exemption-requests", json=body)
            assert r.status_code == 201, r.text
            number = r.json()["number"]
            got = c.get(f"/ald-exemption-requests/{number}")
            assert got.status_code == 200, f"{number} answered 201, then: {got.text}"


def run_together(jobs: dict[str, Callable[[], None]]) -> None:
    """Run the jobs in threads at once; re-raise the first failure with its name."""
    failures: dict[str, BaseException] = {}

    def guard(name: str, job: Callable[[], None]) -> None:
        started = time.monotonic()
        try:
            job()
        except BaseException as exc:
            failures[name] = exc
        print(f"{name}: {time.monotonic() - started:.1f} s")

    threads = [threading.Thread(target=guard, args=item) for item in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, exc in failures.items():
        raise AssertionError(f"{name}: {exc}") from exc


def test_every_object_is_readable_on_the_very_next_request(served: Server):
    token = served.token("agent")
    run = uuid.uuid4().hex
    kinds = {"claims": _claims, "persons": _persons, "tokens": _tokens}
    kinds |= {"preauthorisations": _preauths, "exemption requests": _exemptions}
    run_together({name: (lambda f=f: f(served, token, run)) for name, f in kinds.items()})
    assert served.errors_logged() == []


# -- 2. concurrent writers -------------------------------------------------------------------


def test_eight_clients_for_twenty_seconds_no_5xx_and_every_201_stored(served: Server):
    token = served.token("agent")
    run = uuid.uuid4().hex
    statuses: Counter[int] = Counter()
    created: list[tuple[str, str]] = []  # (idempotency key, claim number)
    lock = threading.Lock()
    stop = time.monotonic() + LOAD_SECONDS

    def client(n: int) -> None:
        with served.client(token) as c:
            for i in itertools.count():
                if time.monotonic() >= stop:
                    return
                key = f"{run}-{n}-{i}"
                r = c.post("/claims", json=claim_body(i), headers={"Idempotency-Key": key})
                with lock:
                    statuses[r.status_code] += 1
                    if r.status_code == 201:
                        created.append((key, r.json()["number"]))

    run_together({f"client {n}": (lambda n=n: client(n)) for n in range(LOAD_CLIENTS)})

    assert set(statuses) == {201}, statuses
    with served.client(token) as c:
        for _, number in created:
            assert c.get(f"/claims/{number}").status_code == 200, number
    stored = stored_claims(served, [key for key, _ in created])
    assert sum(stored.values()) == len(created) == statuses[201]
    assert served.errors_logged() == []


# -- 3. a crash while clients post -------------------------------------------------------------


def test_a_killed_server_loses_no_answered_claim_and_stores_none_twice(served: Server):
    token = served.token("agent")
    run = uuid.uuid4().hex
    answered: dict[str, str] = {}  # key -> claim number answered 201 (or 200 on a retry)
    unanswered: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()

    def client(n: int) -> None:
        with served.client(token) as c:
            for i in itertools.count():
                key = f"{run}-{n}-{i}"
                try:
                    r = c.post("/claims", json=claim_body(i), headers={"Idempotency-Key": key})
                except httpx.TransportError:
                    with lock:
                        unanswered.append(key)
                    return
                assert r.status_code == 201, r.text
                with lock:
                    answered[key] = r.json()["number"]
                    if len(answered) == 120:
                        killed.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(LOAD_CLIENTS)]
    for t in threads:
        t.start()
    assert killed.wait(120), "the clients never got 120 answers"
    served.kill()
    for t in threads:
        t.join()
    served.start()

    with served.client(token) as c:
        for key in unanswered:  # the client retries what got no answer
            i = int(key.rsplit("-", 1)[1])
            r = c.post("/claims", json=claim_body(i), headers={"Idempotency-Key": key})
            assert r.status_code in (200, 201), r.text
            answered[key] = r.json()["number"]
        for key, number in answered.items():
            got = c.get(f"/claims/{number}")
            assert got.status_code == 200, f"{key}: {number} was answered, then {got.text}"

    stored = stored_claims(served, list(answered))
    assert set(stored) == set(answered)
    assert set(stored.values()) == {1}
    assert len(unanswered) == LOAD_CLIENTS
