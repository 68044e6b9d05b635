"""The audit trail: every ORM write is an entry, chained by hashes that reveal tampering."""

import json
import threading

import pytest
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from daman.auth.audit import AuditEntry, append_pending, entry_hash, verify_chain
from daman.auth.models import ReadLog
from daman.core.dates import now
from daman.core.db import make_engine
from daman.registry import builders as registry

API = "/api/v1"


def entries_of(session, table, key):
    append_pending(session)  # the test's transaction never commits: chain what it wrote
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.table_name == table, AuditEntry.row_key == str(key))
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(stmt))


def create_and_patch_employer(client):
    body = {"number": "7654321", "name": "Souss Agrumes SA", "city": "Agadir"}
    created = client.post(f"{API}/employers", json=body, headers={"X-Daman-Actor": "alice"})
    assert created.status_code == 201, created.text
    patched = client.patch(
        f"{API}/employers/7654321", json={"city": "Taroudant"}, headers={"X-Daman-Actor": "bob"}
    )
    assert patched.status_code == 200, patched.text
    return created.json()["id"]


def test_api_writes_are_recorded_with_actor_before_and_after(client, session):
    employer_id = create_and_patch_employer(client)
    insert, update = entries_of(session, "employers", employer_id)
    assert (insert.action, insert.actor, insert.before) == ("insert", "user:alice", None)
    assert insert.after is not None
    assert {k: insert.after[k] for k in ("number", "name", "city", "created_by")} == {
        "number": "7654321",
        "name": "Souss Agrumes SA",
        "city": "Agadir",
        "created_by": "user:alice",
    }
    assert (update.action, update.actor) == ("update", "user:bob")
    assert update.before == {"city": "Agadir", "updated_by": "user:alice"}
    assert update.after == {"city": "Taroudant", "updated_by": "user:bob"}
    assert update.previous_hash == insert.hash
    assert verify_chain(session).intact


def test_a_refused_request_leaves_no_entry_and_the_chain_intact(client, session):
    create_and_patch_employer(client)
    append_pending(session)
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    dup = client.post(f"{API}/employers", json={"number": "7654321", "name": "Again"})
    assert dup.status_code == 409
    assert append_pending(session) == 0  # the refused request's savepoint took its entries
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    registry.employer(session)  # the next write chains onto the last surviving entry
    assert append_pending(session) == 1
    report = verify_chain(session)
    assert (report.intact, report.entries) == (True, before + 1)


def test_deletes_keep_the_row_as_it_was_and_unchanged_rows_make_no_entry(session):
    employer = registry.employer(session, name="Rif Textiles")
    employer.name = "Rif Textiles"  # the same value: no change, no entry
    session.flush()
    assert [e.action for e in entries_of(session, "employers", employer.id)] == ["insert"]
    session.delete(employer)
    session.flush()
    deleted = entries_of(session, "employers", employer.id)[-1]
    assert (deleted.action, deleted.after) == ("delete", None)
    assert deleted.before is not None
    assert deleted.before["name"] == "Rif Textiles"


def test_an_entry_edited_behind_the_apps_back_is_reported(client, session):
    employer_id = create_and_patch_employer(client)
    _, update = entries_of(session, "employers", employer_id)
    last = session.scalar(select(func.max(AuditEntry.id)))
    session.execute(
        text("UPDATE audit_entries SET after = :after WHERE id = :id"),
        {"after": '{"city": "Casablanca", "updated_by": "user:bob"}', "id": update.id},
    )
    report = verify_chain(session)
    assert (report.broken_id, report.reason) == (
        update.id,
        "its content does not match its hash (altered)",
    )
    assert report.entries == update.id - 1 and update.id <= last


def test_an_entry_edited_and_rehashed_breaks_the_next_link(client, session):
    employer_id = create_and_patch_employer(client)
    insert, update = entries_of(session, "employers", employer_id)
    forged = {c.key: getattr(insert, c.key) for c in AuditEntry.__mapper__.column_attrs}
    forged["after"] = {**insert.after, "name": "Forged"}
    session.execute(
        text("UPDATE audit_entries SET after = :after, hash = :hash WHERE id = :id"),
        {"after": json.dumps(forged["after"]), "hash": entry_hash(forged), "id": insert.id},
    )
    report = verify_chain(session)
    assert (report.broken_id, report.reason) == (
        update.id,
        "its previous hash does not match the hash of the entry before it",
    )


def test_a_deleted_entry_is_reported(client, session):
    employer_id = create_and_patch_employer(client)
    insert, update = entries_of(session, "employers", employer_id)
    session.execute(delete(AuditEntry).where(AuditEntry.id == insert.id))
    report = verify_chain(session)
    assert (report.broken_id, report.reason) == (
        update.id,
        f"entry {insert.id} is missing (deleted)",
    )


def test_entries_wait_for_the_commit_and_a_rolled_back_savepoint_drops_its_own(session):
    count = select(func.count()).select_from(AuditEntry)
    before = session.scalar(count)
    kept = registry.employer(session, name="Kept")
    inner = session.begin_nested()
    registry.employer(session, name="Dropped")
    deeper = session.begin_nested()
    registry.employer(session, name="Deeper")
    deeper.commit()  # released into `inner`, which is then rolled back: both go
    inner.rollback()
    released = session.begin_nested()
    registry.employer(session, name="Released")
    released.commit()
    assert session.scalar(count) == before  # nothing chained before the commit
    assert append_pending(session) == 2  # what commit does: Kept and Released
    names = session.scalars(
        select(AuditEntry.after["name"].as_string())
        .where(AuditEntry.table_name == "employers")
        .order_by(AuditEntry.id)
    ).all()
    assert names == ["Kept", "Released"]
    assert [e.action for e in entries_of(session, "employers", kept.id)] == ["insert"]
    kept.city = "Oujda"  # not flushed: the commit flushes it, then chains its entry
    session.commit()
    assert [e.action for e in entries_of(session, "employers", kept.id)] == ["insert", "update"]
    assert verify_chain(session).intact


def test_concurrent_transactions_chain_in_commit_order(database_url):
    """A writer does not wait for another's open transaction: each chains its entries when
    it commits, one commit after the other, so the chain never forks. (PostgreSQL: on
    SQLite a writing transaction holds the database's one write lock until it ends.)"""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writing transactions whole")
    engine = make_engine(database_url)
    done = threading.Event()

    def second_writer():
        with Session(engine) as s:
            registry.employer(s, name="Second")
            s.commit()
        done.set()

    with Session(engine) as first:
        registry.employer(first, name="First")  # flushed, not committed: holds no lock
        writer = threading.Thread(target=second_writer)
        writer.start()
        assert done.wait(timeout=30), "the second transaction waited for the first to end"
        first.commit()
    writer.join(timeout=30)
    with Session(engine) as s:
        report = verify_chain(s)
        names = s.scalars(
            select(AuditEntry.after["name"].as_string())
            .where(AuditEntry.table_name == "employers")
            .order_by(AuditEntry.id)
        ).all()
        first_commit_id = s.scalar(
            select(func.max(AuditEntry.id)).where(AuditEntry.table_name == "employers")
        )
    engine.dispose()
    assert report.intact
    assert names == ["Second", "First"]
    assert first_commit_id == report.entries


@pytest.mark.parametrize("also_writes", [False, True])
def test_a_logged_read_is_as_durable_as_any_write(session, also_writes):
    """PostgreSQL: a transaction whose only writes are read-log rows (a look-up) commits as
    durably as any other (synchronous_commit untouched: a logged read is never lost once
    answered), its entries chained with the lock and the last entry read in one round trip,
    and the chain verifies."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    session.add(ReadLog(at=now(), actor="agent:amina", role="agent", what="eligibility", key="X"))
    if also_writes:
        registry.employer(session, name="Written")
    assert append_pending(session) == 1 + also_writes
    assert session.scalar(text("SHOW synchronous_commit")) == "on"
    assert verify_chain(session).intact


def last_id(session):
    append_pending(session)
    return session.scalar(select(func.max(AuditEntry.id))) or 0


def bulk_entries(session, table, after):
    """The bulk entries of `table` chained after entry `after`."""
    append_pending(session)
    stmt = select(AuditEntry).where(
        AuditEntry.table_name == table, AuditEntry.action == "bulk", AuditEntry.id > after
    )
    return list(session.scalars(stmt.order_by(AuditEntry.id)))


def test_a_payment_run_s_bulk_writes_each_leave_one_entry_with_rows_and_digest(session):
    """The payment run writes items, transfers and claim statuses in bulk (unnest on
    PostgreSQL, executemany and UPDATE ... WHERE on SQLite): one entry each, with who,
    how many rows and the SHA-256 of what was written; the chain still verifies."""
    from daman.payments import service as payments
    from tests.payments.support import approve, gp_visit, insured

    approve(session, [gp_visit(session, insured(session), drug=True) for _ in range(3)])
    start = last_id(session)
    payments.run(session, "batch:treasurer")

    items, assigned = bulk_entries(session, "payment_items", start)  # queued, then batched
    assert (items.actor, items.row_key, items.after["operation"]) == (
        "batch:treasurer",
        "6 rows",
        "insert",
    )
    assert (assigned.row_key, assigned.after["operation"]) == ("6 rows", "update")
    assert len(items.after["sha256"]) == 64 and items.after["sha256"] != assigned.after["sha256"]
    (transfers,) = bulk_entries(session, "payment_transfers", start)
    assert transfers.row_key == "3 rows"
    moved = [e for e in bulk_entries(session, "claims", start) if e.after["operation"] == "update"]
    assert [(e.actor, e.row_key) for e in moved] == [("batch:treasurer", "3 rows")]
    assert verify_chain(session).intact


def test_a_bulk_insert_is_in_the_trail_and_its_digest_follows_its_rows(session):
    from daman.auth.audit import digest
    from daman.reference.models import Mutual

    session.info["actor"] = "cli:agent"
    start = last_id(session)
    session.execute(text("SELECT 1"))  # not a write: no entry
    rows = [{"code": "TEST1", "name": "Mutuelle test 1"}, {"code": "TEST2", "name": "test 2"}]
    session.execute(insert(Mutual), rows)
    (entry,) = bulk_entries(session, "mutuals", start)
    assert (entry.actor, entry.row_key, entry.after["rows"]) == ("cli:agent", "2 rows", 2)
    assert entry.after["sha256"] == digest({"sql": "", "bound": {}, "rows": rows})
    assert digest(rows) != digest(rows[:1])
    assert verify_chain(session).intact


@pytest.mark.parametrize(
    "entry",
    [
        "from daman.app import create_app; create_app()",  # the served app
        "from daman.cli import app",  # the command line
        "from daman.adjudication.workers import _process",  # a spawned worker's target
        "from daman.core.db import make_engine",  # even code that only uses the database
    ],
)
def test_every_entry_point_has_the_audit_installed_without_core_importing_it(entry):
    """The audit hooks are installed by importing the `daman` package, whatever is imported
    first: the database layer itself never imports the audit (import-linter checks it)."""
    import subprocess
    import sys

    check = (
        f"{entry}\n"
        "from sqlalchemy import event\n"
        "from sqlalchemy.orm import Session\n"
        "from daman.auth import audit\n"
        "from daman.core import bulk\n"
        "hooks = [n for n, f in audit._LISTENERS if event.contains(Session, n, f)]\n"
        "print(audit.installed(), len(hooks), audit.record_bulk in bulk._listeners)\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "5", "True"]
