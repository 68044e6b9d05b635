"""Care sheets valued together at the counter (counter.realtime): the same answers and the
same rows as valuing them one at a time, each refusal or replay its own answer, one
engine call and one transaction for the group, and every row in the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.audit import AuditEntry, append_pending, verify_chain
from daman.auth.models import Role
from daman.claims import service as claims
from daman.claims.fresh import Replay, Sent
from daman.claims.models import Claim
from daman.claims.schemas import ClaimIn, ClaimOut
from daman.core.errors import Conflict, ValidationFailed
from daman.counter import realtime
from daman.counter import service as counter
from tests.claims.support import (
    BRAND,
    GENERIC,
    act,
    cnops_insured,
    cnss_insured,
    electronic,
    medicine,
    provider,
    recent,
)

AGENT = Principal(actor="agent:amina", role=Role.AGENT, user_id=1, username="amina")
OTHER = Principal(actor="agent:omar", role=Role.AGENT, user_id=2, username="omar")
TABLES = ("claims", "claim_lines", "line_decisions", "review_items", "claim_status_events")
SKIP = {"id", "number", "claim_id", "line_id", "received_at", "created_at", "updated_at"}
SKIP |= {"adjudicated_at", "decided_at", "at"}


def sheets(session: Session) -> list[dict[str, Any]]:
    """Care sheets whose values depend on each other: the same patient twice on a day
    (a duplicate), medicines of one patient, a dental prosthesis waiting for a document,
    a late one, an uncovered person."""
    doctor, dentist = provider(session), provider(session, kind="dentist")
    pharmacy = provider(session, kind="pharmacy")
    ali, sara = cnss_insured(session), cnops_insured(session)
    day = recent()
    return [
        electronic(ali, [act(doctor, day, 15_000)]),
        electronic(ali, [act(doctor, day, 15_000)]),  # the same visit again
        electronic(
            sara,
            [
                act(doctor, day, 20_000),
                medicine(pharmacy, doctor, day, BRAND, 3_200, quantity=2),
                medicine(pharmacy, doctor, day, GENERIC, 1_850),
            ],
        ),
        electronic(sara, [medicine(pharmacy, doctor, day, GENERIC, 1_850)]),
        electronic(
            ali,
            [act(dentist, day, 900_000, key="D", category="dental_prosthesis", coefficient="30")],
        ),
        electronic(ali, [act(doctor, day - timedelta(days=120), 15_000)]),  # late
    ]


def shown(out: ClaimOut) -> dict[str, Any]:
    """An answer without what differs between two runs (numbers, times)."""
    data = out.model_dump(mode="json")
    data.pop("number")
    data.pop("received_at")
    for line in data["lines"]:
        if line["decision"]:
            line["decision"].pop("decided_at")
    for event in data["history"]:
        event.pop("at")
    return data


def rows(session: Session, actor: str) -> dict[str, list[Any]]:
    """The rows stored for the claims an actor sent, without ids and times."""
    ids = list(session.scalars(select(Claim.id).where(Claim.submitter == actor).order_by(Claim.id)))
    found = {}
    for table in TABLES:
        column = "id" if table == "claims" else "claim_id"
        result = session.execute(
            text(f"SELECT * FROM {table} WHERE {column} = ANY(:ids) ORDER BY id").bindparams(
                ids=ids
            )
            if session.get_bind().dialect.name == "postgresql"
            else text(
                f"SELECT * FROM {table} WHERE {column} IN ({','.join(map(str, ids)) or '0'})"
                " ORDER BY id"
            )
        )
        names = list(result.keys())
        found[table] = [
            {n: v for n, v in zip(names, row, strict=True) if n not in SKIP} for row in result
        ]
    return found


def test_sheets_valued_together_are_answered_and_stored_as_one_at_a_time(session: Session):
    drafts = [ClaimIn.model_validate(s) for s in sheets(session)]
    alone = session.begin_nested()
    one_by_one = []
    for draft in drafts:
        claim, created = counter.submit_claim(
            session, draft, actor=AGENT.actor, idempotency_key=None, who=AGENT
        )
        assert created
        one_by_one.append(shown(claims.claim_out(session, claim, "fr", AGENT)))
    stored_alone = rows(session, AGENT.actor)
    alone.rollback()
    session.expunge_all()  # rows read back by the first run (SQLite reuses their ids)

    together = realtime.value_together(
        session, [realtime.Job(Sent(d, None, AGENT), "fr") for d in drafts]
    )
    session.flush()
    assert [shown(out) for out in together] == one_by_one  # type: ignore[arg-type]
    assert rows(session, AGENT.actor) == stored_alone
    statuses = [line["decision"]["status"] for out in one_by_one for line in out["lines"]]
    assert {"accepted", "rejected", "pending_review"} <= set(statuses)  # the cases meet


def test_refusals_and_replays_are_each_their_own_answer(session: Session):
    doctor, ali = provider(session), cnss_insured(session)
    good = ClaimIn.model_validate(electronic(ali, [act(doctor, recent(), 15_000)]))
    other = ClaimIn.model_validate(electronic(ali, [act(doctor, recent(), 16_000)]))
    unknown = ClaimIn.model_validate({**electronic(ali, []), "patient": "DM9999999999"})
    first = realtime.value_together(session, [realtime.Job(Sent(good, "k1", AGENT), "fr")])
    assert isinstance(first[0], ClaimOut)
    jobs = [
        Sent(other, "k2", AGENT),  # new
        Sent(unknown, None, AGENT),  # refused
        Sent(good, "k1", AGENT),  # replay of the first group's claim
        Sent(other, "k1", AGENT),  # the same key, another body
        Sent(other, "k2", AGENT),  # replay of a claim of this very group
        Sent(other, "k2", OTHER),  # another sender's own key
    ]
    out = realtime.value_together(session, [realtime.Job(s, "fr") for s in jobs])
    assert isinstance(out[0], ClaimOut) and isinstance(out[5], ClaimOut)
    assert out[0].number != out[5].number
    assert isinstance(out[1], ValidationFailed)
    assert out[2] == Replay(first[0].number)  # type: ignore[union-attr]
    assert isinstance(out[3], Conflict) and out[3].code == "idempotency_key_reused"
    assert out[4] == Replay(out[0].number)
    stored = session.scalar(
        select(func.count()).select_from(Claim).where(Claim.patient_id == ali.id)
    )
    assert stored == 3


def test_every_row_of_a_group_is_in_the_audit_trail_under_its_sender(session: Session):
    doctor, ali = provider(session), cnss_insured(session)
    drafts = [
        ClaimIn.model_validate(electronic(ali, [act(doctor, recent(), 15_000 + i)]))
        for i in range(3)
    ]
    before = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    append_pending(session)
    before = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    realtime.value_together(
        session,
        [
            realtime.Job(Sent(drafts[0], None, AGENT), "fr"),
            realtime.Job(Sent(drafts[1], None, OTHER), "fr"),
            realtime.Job(Sent(drafts[2], None, AGENT), "fr"),
        ],
    )
    append_pending(session)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
    by_table: dict[str, set[str]] = {}
    for entry in entries:
        by_table.setdefault(entry.table_name, set()).add(entry.actor)
    for table in ("claims", "claim_lines", "claim_status_events", "line_decisions"):
        assert by_table[table] == {AGENT.actor, OTHER.actor}, table
    rows_of = {e.table_name: 0 for e in entries}
    for e in entries:
        rows_of[e.table_name] += 1 if e.action != "bulk" else int(e.row_key.split()[0])
    assert rows_of["claims"] == 3 and rows_of["line_decisions"] == 3
    assert verify_chain(session).intact
