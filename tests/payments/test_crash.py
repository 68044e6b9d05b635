"""A line is paid once: a run killed mid-way, then re-run; two runs at once (PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daman.cli import app
from daman.core import db as core_db
from daman.core.db import make_engine
from daman.payments import bankfile, service
from daman.payments import repository as repo
from tests.payments.support import census, seed_approved
from tests.processes import kill_when_flagged

# `daman payments run` in another process, stopped for good inside its third chunk: two
# chunks committed, the third's items written but not committed.
_KILLED_RUN = """
import sys, time
from pathlib import Path
from daman.claims import service as claims

flag, real, calls = Path(sys.argv[1]), claims.mark_in_payment, []

def mark_in_payment(*args, **kwargs):
    calls.append(1)
    if len(calls) == 3:
        flag.write_text("paying chunk 3")
        time.sleep(3600)
    return real(*args, **kwargs)

claims.mark_in_payment = mark_in_payment
sys.argv = ["daman", "payments", "run", "--chunk-size", "5"]
from daman.cli import main
main()
"""


def daman(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from daman.cli import main; main()", *args],
        env={**os.environ, "DAMAN_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )


def every_line_paid_once(after: dict, claims: int) -> None:
    assert after["claims"] == {"in_payment": claims}
    assert after["lines_queued"] == after["payable_lines"] == 2 * claims
    assert after["max_items_per_line"] == 1
    assert after["unassigned"] == 0
    assert after["transfer_total"] == after["batch_total"] == after["items_total"]
    assert after["items_total"] == after["payable_total"]


def test_a_killed_run_then_a_rerun_pays_every_line_exactly_once(database_url, tmp_path):
    seed_approved(database_url, 32)
    flag = tmp_path / "in-chunk-3"
    kill_when_flagged(
        _KILLED_RUN,
        [str(flag)],
        flag,
        env={**os.environ, "DAMAN_DATABASE_URL": database_url},
        guard_seconds=120,
    )

    killed = census(database_url)
    assert killed["claims"] == {"in_payment": 10, "approved": 22}  # two chunks of 5 committed
    assert (killed["lines_queued"], killed["max_items_per_line"]) == (20, 1)
    assert (killed["unassigned"], killed["batches"]) == (20, 0)  # no batch formed yet

    out = tmp_path / "bank"
    rerun = daman(database_url, "payments", "run", "--chunk-size", "7", "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert "22 claims in payment (44 lines" in rerun.stdout
    assert "batch PB00000001: 5 transfers, 64 lines" in rerun.stdout
    every_line_paid_once(census(database_url), 32)
    (written,) = out.iterdir()
    assert written.name == "PB00000001.pain.001.001.09.xml"
    assert bankfile.schema_errors(written.read_bytes()) == []

    again = daman(database_url, "payments", "run")
    assert again.returncode == 0, again.stderr
    assert "0 claims in payment" in again.stdout and "nothing to pay" in again.stdout
    assert census(database_url)["batches"] == 1


def test_two_runs_at_once_share_the_work_and_pay_each_line_once(database_url, backend, monkeypatch):
    if backend != "postgresql":
        pytest.skip(
            "SQLite has one writer at a time and no row locks: concurrent runs are a "
            "PostgreSQL deployment (SELECT ... FOR UPDATE SKIP LOCKED)"
        )
    seed_approved(database_url, 30, payees=6)
    # Each run waits, inside its first chunk and holding its locks, until the other run
    # holds its own: without SKIP LOCKED the second would block on the first's claims.
    both_hold_locks = threading.Barrier(2, timeout=60)
    real, waited = repo.payable_lines, threading.local()

    def payable_lines(session, claim_ids):
        if not getattr(waited, "done", False):
            waited.done = True
            both_hold_locks.wait()
        return real(session, claim_ids)

    monkeypatch.setattr(repo, "payable_lines", payable_lines)
    reports, errors = [], []

    def one_run(name: str) -> None:
        try:
            reports.append(service.run_chunked(database_url, name, chunk_size=4))
        except BaseException as exc:
            errors.append(exc)
            both_hold_locks.abort()

    runs = [threading.Thread(target=one_run, args=(f"batch:{n}",)) for n in ("a", "b")]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert errors == []
    assert all(r.claims_paid > 0 for r in reports)  # both did part of the work
    assert sum(r.claims_paid for r in reports) == 30
    assert sum(r.lines_paid for r in reports) == 60
    after = census(database_url)
    every_line_paid_once(after, 30)
    formed = [r.batch for r in reports if r.batch is not None]
    assert 1 <= len(formed) == after["batches"] <= 2
    assert sum(b.items_count for b in formed) == 60


def test_cli_run_and_export(database_url, tmp_path):
    seed_approved(database_url, 4, payees=2)
    engine = make_engine(database_url)
    core_db.set_engine(engine)
    try:
        result = CliRunner().invoke(app, ["payments", "run", "--chunk-size", "3"])
        assert result.exit_code == 0, result.output
        assert "4 claims in payment (8 lines" in result.output and "in 2 chunks" in result.output
        assert "batch PB00000001: 2 transfers, 8 lines" in result.output
        exported = CliRunner().invoke(
            app, ["payments", "export", "PB00000001", "--out", str(tmp_path)]
        )
        assert exported.exit_code == 0, exported.output
        path: Path = tmp_path / "PB00000001.pain.001.001.09.xml"
        assert bankfile.schema_errors(path.read_bytes()) == []
    finally:
        engine.dispose()
