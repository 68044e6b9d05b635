"""A payment batch is never left without its bank file: `daman payments run` killed at each
step between forming a batch and recording its file, then run again (SQLite, PostgreSQL)."""

from __future__ import annotations

import hashlib
import os
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.claims.models import Claim
from daman.core.db import make_engine
from daman.payments import bankfile
from daman.payments.models import PaymentBatch, PaymentItem, PaymentTransfer
from tests.payments.support import camt054, census, seed_approved
from tests.payments.test_crash import daman, every_line_paid_once
from tests.processes import kill_when_flagged

NS = {"p": bankfile.NS}

# `daman payments run --out DIR` in another process, stopped for good at one step: the
# patched function writes the flag and sleeps until the test kills the process.
_KILLED_AT = """
import os, sys, time
from pathlib import Path
from daman.core import files
from daman.payments import service

flag, step, out = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

def die_here(what):
    flag.write_text(what)
    time.sleep(3600)

real_write, real_replace = service.write_bank_file, os.replace
real_durably = service.write_durably

if step == "after_forming":  # the batch is committed; its file not begun
    service.write_bank_file = lambda *a, **k: die_here("formed")
elif step == "during_write":  # the file's bytes are synced under a temporary name
    files.os.replace = lambda *a, **k: die_here("writing")
elif step == "before_marking":  # the file is in place; the batch not yet marked
    def durably(*a, **k):
        real_durably(*a, **k)
        die_here("written")
    service.write_durably = durably

sys.argv = ["daman", "payments", "run", "--chunk-size", "5", "--out", out]
from daman.cli import main
main()
"""


def killed_run(database_url: str, tmp_path: Path, step: str, out: Path) -> None:
    flag = tmp_path / f"flag-{step}"
    kill_when_flagged(
        _KILLED_AT,
        [str(flag), step, str(out)],
        flag,
        env={**os.environ, "DAMAN_DATABASE_URL": database_url},
        guard_seconds=120,
    )


def batches(url: str) -> list[PaymentBatch]:
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            return list(s.scalars(select(PaymentBatch).order_by(PaymentBatch.id)))
    finally:
        engine.dispose()


def every_batch_has_one_valid_file(url: str, out: Path) -> None:
    """One file per batch, valid, recorded with its hash; its control sums are the
    database's; no transfer (so no line) in two files; no temporary file left."""
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{b.number}.pain.001.001.09.xml" for b in batches(url)
    )
    engine = make_engine(url)
    seen: set[str] = set()
    try:
        with Session(engine) as s:
            for batch in s.scalars(select(PaymentBatch)):
                document = (out / batch.file_name).read_bytes()
                assert batch.status == "file_written"
                assert hashlib.sha256(document).hexdigest() == batch.file_sha256
                assert bankfile.schema_errors(document) == []
                root = etree.fromstring(document, etree.XMLParser(resolve_entities=False))
                header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
                refs = [e.text for e in root.iterfind(".//p:EndToEndId", NS)]
                assert int(header.findtext("p:NbOfTxs", namespaces=NS)) == len(refs)
                assert len(refs) == batch.transfers_count
                total = Decimal(header.findtext("p:CtrlSum", namespaces=NS)) * 100
                assert (
                    total
                    == batch.total_centimes
                    == s.scalar(
                        select(func.sum(PaymentTransfer.amount_centimes)).where(
                            PaymentTransfer.batch_id == batch.id
                        )
                    )
                )
                assert seen.isdisjoint(refs)
                seen.update(refs)
            lines_in_files = s.scalar(
                select(func.count(func.distinct(PaymentItem.claim_line_id)))
                .join(PaymentTransfer, PaymentTransfer.id == PaymentItem.transfer_id)
                .where(PaymentTransfer.reference.in_(seen))
            )
            assert lines_in_files == s.scalar(select(func.count()).select_from(PaymentItem))
    finally:
        engine.dispose()


@pytest.mark.parametrize("step", ["after_forming", "during_write", "before_marking"])
def test_a_run_killed_between_the_batch_and_its_file_is_finished_by_the_next(
    database_url, tmp_path, step
):
    seed_approved(database_url, 12, payees=4)
    out = tmp_path / "bank"
    killed_run(database_url, tmp_path, step, out)

    (left,) = batches(database_url)
    assert (left.status, left.file_name) == ("formed", None)  # no file recorded
    assert census(database_url)["claims"] == {"in_payment": 12}  # not "paid"
    path = out / f"{left.number}.pain.001.001.09.xml"
    assert path.exists() == (step == "before_marking")
    before = os.stat(path) if step == "before_marking" else None

    status = daman(database_url, "payments", "status")
    assert "formed" in status.stdout and left.number in status.stdout

    rerun = daman(database_url, "payments", "run", "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert f"batch {left.number} was left without its bank file" in rerun.stdout
    assert "nothing to pay" in rerun.stdout
    every_batch_has_one_valid_file(database_url, out)
    every_line_paid_once(census(database_url), 12)
    if before is not None:  # the same bytes were already there: not written twice
        after = os.stat(path)
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    again = daman(database_url, "payments", "run", "--out", str(out))
    assert "left without" not in again.stdout
    every_batch_has_one_valid_file(database_url, out)


def test_sent_makes_claims_paid_and_a_stale_batch_is_flagged(database_url, tmp_path, monkeypatch):
    seed_approved(database_url, 6, payees=3)
    out = tmp_path / "bank"
    killed_run(database_url, tmp_path, "after_forming", out)
    (batch,) = batches(database_url)

    # a batch formed without its file past the grace period is flagged (exit 3)
    within = daman(database_url, "payments", "status")
    assert within.returncode == 0 and "NO BANK FILE" not in within.stdout
    monkeypatch.setenv("DAMAN_PAYMENT_FILE_GRACE_MINUTES", "0")
    flagged = daman(database_url, "payments", "status")
    assert flagged.returncode == 3 and "NO BANK FILE" in flagged.stdout, flagged.stdout
    monkeypatch.delenv("DAMAN_PAYMENT_FILE_GRACE_MINUTES")

    refused = daman(database_url, "payments", "sent", batch.number)
    assert refused.returncode != 0 and "no bank file" in refused.stderr + refused.stdout

    export = daman(database_url, "payments", "export", batch.number, "--out", str(out))
    assert export.returncode == 0, export.stderr
    sent = daman(database_url, "payments", "sent", batch.number)
    assert sent.returncode == 0, sent.stderr
    assert census(database_url)["claims"] == {"paid": 6}
    assert batches(database_url)[0].status == "sent"
    daman(database_url, "payments", "sent", batch.number)  # again: nothing changes
    assert census(database_url)["claims"] == {"paid": 6}


def test_a_return_for_a_batch_without_its_file_is_refused(session):
    from daman.core.errors import Conflict
    from daman.payments import service
    from tests.payments.support import approve, gp_visit, insured

    approve(session, [gp_visit(session, insured(session))])
    ids = service.repo.pick_approved(session, 0, 10)
    service.pay_chunk(session, ids, "test", service.RunReport())
    batch = service.form_batch(session, "test")  # formed; the run died before its file
    (transfer,) = service.repo.transfers_of(session, batch.id)[0]
    notice = camt054([(transfer.reference, transfer.amount_centimes, "DBIT", None)])
    with pytest.raises(Conflict) as caught:
        service.import_return(session, "c.xml", notice, "test")
    assert caught.value.code == "bank_file_missing"
    claim_status = session.scalar(select(Claim.status).where(Claim.id == ids[0]))
    assert claim_status == "in_payment"
