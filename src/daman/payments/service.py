"""Payments use cases: the payment run, batches, the bank file, the bank's return, holds.

**The run.** Approved claims are taken in id order, `chunk_size` at a time (on PostgreSQL
locked with SKIP LOCKED, so that two runs share the work). For each claim the payee of
every payable line is found (by default `facility_or_insured`: the facility for its invoices
under a pre-authorisation, else the principal insured, see `insured_principal`).
A claim whose payee cannot be paid (no RIB, a bad RIB, a RIB the bank rejected, a payee
who died) is held back with the reason and stays approved. The others are moved to
`in_payment` and, in the same transaction, one PaymentItem per payable line is written.
Then the batch is formed: every item not yet in a batch, one transfer per payee and RIB.

**A batch's states**, each change committed after the step it records:
`formed` -> `file_written` (its pain.001 written to a temporary name, synced to disk and
renamed, then recorded with its SHA-256) -> `sent` (handed to the bank: only now do its
claims read `paid`) -> `reconciled` (the bank's returns settled or rejected every transfer).
A run killed after forming a batch leaves it `formed`: every later run first writes the
file of each `formed` batch (the same bytes: the file depends only on the batch), and
`daman payments status` flags a batch left `formed` longer than the grace period.

**A line is paid once.** The claim's move approved -> in_payment only succeeds for claims still
approved, and the unique index on the items' claim line (over items not returned) refuses
a second item for the same line, whatever happens. A run killed mid-way leaves committed
chunks whose items wait unassigned; the next run forms its batch with them. Two runs at
once lock disjoint claims, and each item goes to the batch of the run that locks it first.

**The bank's return.** A settlement marks the transfer settled; a rejection marks it
rejected, its items returned and its claims approved again, with the bank's reason in the
claims' history; they are held back until the payee's RIB differs from the one rejected.
Importing a return twice changes nothing the second time.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from daman.auth.access import Principal, log_read
from daman.claims import service as claims_service
from daman.config import get_settings
from daman.core.batch import batch_engine, check_chunk_size, run_in_chunks
from daman.core.bulk import bulk_update
from daman.core.dates import aware, now, today
from daman.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from daman.core.files import write_durably
from daman.core.i18n import N_, translate
from daman.core.identifiers import allocate, rib_problem
from daman.core.schemas import from_row
from daman.payments import bankfile, returns
from daman.payments import repository as repo
from daman.payments.models import (
    BatchStatus,
    HoldReason,
    PayeeKind,
    PaymentBatch,
    PaymentItem,
    PaymentReturn,
    PaymentTransfer,
    TransferStatus,
    shown_status,
)
from daman.payments.repository import PayableLine, Payee, PayeeRow, Rejection
from daman.payments.schemas import (
    BatchOut,
    BatchSummary,
    HeldOut,
    ReturnOut,
    RunOut,
    TransferOut,
)
from daman.preauth.repository import invoiced_claims
from daman.prescriptions.repository import third_party_claims

PayeeRule = Callable[[Session, Sequence[PayableLine]], dict[int, Payee]]  # line id -> payee
Progress = Callable[[int], None]  # claims looked at so far

# Why a payment is held back, said in the reader's language (detail: the RIB problem, the
# bank's return, the date of death).
HOLD_TEXT: dict[str, str] = {
    HoldReason.RIB_MISSING: N_("No RIB is recorded for the payee."),
    HoldReason.RIB_INVALID: N_("Invalid RIB (%(detail)s)."),
    HoldReason.RIB_REJECTED: N_(
        "The bank rejected the last transfer to this RIB (%(detail)s): fix the RIB."
    ),
    HoldReason.PAYEE_DECEASED: N_("The payee died on %(detail)s: designate who is to be paid."),
}


def insured_principal(session: Session, lines: Sequence[PayableLine]) -> dict[int, Payee]:
    """Reimbursements go to the principal insured: the patient, or for a dependent the
    principal of the dependent link covering the claim's first care date. Once that
    principal has died, the surviving patient is paid in their own name."""
    principals = repo.principals_on(session, {(ln.patient_id, ln.care_date) for ln in lines})
    out: dict[int, Payee] = {}
    for line in lines:
        found = principals.get((line.patient_id, line.care_date))
        payee = found[0] if found is not None and found[1] is None else line.patient_id
        out[line.line_id] = Payee(PayeeKind.PERSON, payee)
    return out


def facility_or_insured(session: Session, lines: Sequence[PayableLine]) -> dict[int, Payee]:
    """The default payee rule. A facility's invoice under a pre-authorisation (tiers
    payant) is paid to the facility that sent it, and a pharmacy's care sheet of medicines
    for an ALD the patient is exempted for (tiers payant, daman.counter.pharmacy) to that
    pharmacy; every other claim is a reimbursement, paid as `insured_principal` says."""
    claim_ids = sorted({ln.claim_id for ln in lines})
    facility = invoiced_claims(session, claim_ids) | third_party_claims(session, claim_ids)
    out = insured_principal(session, [ln for ln in lines if ln.claim_id not in facility])
    for line in lines:
        if line.claim_id in facility:
            out[line.line_id] = Payee(PayeeKind.PROVIDER, facility[line.claim_id])
    return out


def hold_of(row: PayeeRow | None, rejected: Sequence[Rejection]) -> tuple[HoldReason, str] | None:
    """Why a payee cannot be paid now, or None."""
    if row is None:
        raise NotFound("a payee of the run does not exist", code="payee_not_found")
    if row.death_date is not None:
        return HoldReason.PAYEE_DECEASED, row.death_date.isoformat()
    if not row.rib:
        return HoldReason.RIB_MISSING, ""
    problem = rib_problem(row.rib)
    if problem:
        return HoldReason.RIB_INVALID, problem
    # the bank's latest rejection of this RIB: a temporary reason is retried as it is
    latest = next((r for r in rejected if r.rib == row.rib), None)
    if latest is not None and not returns.retried(latest.code):
        return HoldReason.RIB_REJECTED, f"{latest.code or '?'}: {latest.reason or 'rejected'}"
    return None


@dataclass
class RunReport:
    chunks: int = 0
    claims_paid: int = 0
    lines_paid: int = 0
    amount_centimes: int = 0
    held: set[int] = field(default_factory=set)  # claims held back
    batch: PaymentBatch | None = None

    def out(self) -> RunOut:
        return RunOut(
            claims_in_payment=self.claims_paid,
            lines_in_payment=self.lines_paid,
            amount_centimes=self.amount_centimes,
            claims_held=len(self.held),
            chunks=self.chunks,
            batch=batch_summary(self.batch) if self.batch else None,
        )


def pay_chunk(
    session: Session,
    claim_ids: Sequence[int],
    actor: str,
    report: RunReport,
    payee_rule: PayeeRule = facility_or_insured,
) -> None:
    """Queue the payable lines of these approved (and, on PostgreSQL, locked) claims, move
    them to paid, and hold back those whose payee cannot be paid."""
    at = now()
    lines = repo.payable_lines(session, claim_ids)
    payee_of = payee_rule(session, lines)
    wanted = set(payee_of.values())
    rows, rejected = repo.payees(session, wanted), repo.rejections(session, wanted)
    blocked = {p: hold_of(rows.get(p), rejected.get(p, [])) for p in wanted}
    by_claim: dict[int, list[PayableLine]] = defaultdict(list)
    for line in lines:
        by_claim[line.claim_id].append(line)

    paid: list[int] = []
    held: dict[int, tuple[Payee, HoldReason, str, int]] = {}
    for claim_id in claim_ids:
        mine = by_claim.get(claim_id, [])
        why = next(
            ((payee_of[ln.line_id], h) for ln in mine if (h := blocked[payee_of[ln.line_id]])),
            None,
        )
        if why is None:
            paid.append(claim_id)
        else:
            payee, (reason, detail) = why
            held[claim_id] = (payee, reason, detail, sum(ln.amount_centimes for ln in mine))

    items = [ln for claim_id in paid for ln in by_claim.get(claim_id, [])]
    payees = [payee_of[ln.line_id] for ln in items]
    repo.add_items(
        session,
        {
            "claim_id": [ln.claim_id for ln in items],
            "claim_line_id": [ln.line_id for ln in items],
            "payee_kind": [p.kind.value for p in payees],
            "person_id": [p.id if p.kind == PayeeKind.PERSON else None for p in payees],
            "provider_id": [p.id if p.kind == PayeeKind.PROVIDER else None for p in payees],
            "rib": [rows[p].rib for p in payees],
            "amo_centimes": [ln.amo_centimes for ln in items],
            "complementary_centimes": [ln.complementary_centimes for ln in items],
        },
        {"created_at": at, "created_by": actor},
    )
    claims_service.mark_in_payment(
        session, paid, actor, "payment run: queued for the next bank file"
    )

    since = repo.held_since(session, list(held))
    repo.delete_holds(session, claim_ids)
    held_rows = [(claim_id, *h) for claim_id, h in held.items()]
    repo.add_holds(
        session,
        {
            "claim_id": [h[0] for h in held_rows],
            "payee_kind": [h[1].kind.value for h in held_rows],
            "person_id": [h[1].id if h[1].kind == PayeeKind.PERSON else None for h in held_rows],
            "provider_id": [
                h[1].id if h[1].kind == PayeeKind.PROVIDER else None for h in held_rows
            ],
            "reason_code": [h[2].value for h in held_rows],
            "detail": [h[3] for h in held_rows],
            "amount_centimes": [h[4] for h in held_rows],
            "held_since": [since.get(h[0], at) for h in held_rows],
        },
        {"checked_at": at, "checked_by": actor},
    )
    session.flush()
    report.chunks += 1
    report.claims_paid += len(paid)
    report.lines_paid += len(items)
    report.amount_centimes += sum(ln.amount_centimes for ln in items)
    report.held.update(held)


def form_batch(
    session: Session, actor: str, execution_date: date | None = None
) -> PaymentBatch | None:
    """One batch of every item waiting for one: a transfer per payee and RIB, grouping the
    lines it pays. None when nothing waits."""
    items = repo.unassigned_items(session)
    if not items:
        return None
    groups: dict[tuple[Payee, str], list[repo.QueuedItem]] = defaultdict(list)
    for item in items:
        groups[(item.payee, item.rib)].append(item)
    ordered = sorted(groups.items(), key=lambda g: (g[0][0].kind, g[0][0].id, g[0][1]))
    names = repo.payees(session, {payee for payee, _ in groups})
    at = now()
    number = f"PB{allocate(session, 'payment_batch')[0]:08d}"
    batch = PaymentBatch(
        number=number,
        status=BatchStatus.FORMED,
        execution_date=execution_date or today(),
        currency=get_settings().currency,
        transfers_count=len(groups),
        items_count=len(items),
        total_centimes=sum(i.amount_centimes for i in items),
        created_at=at,
        created_by=actor,
        updated_at=at,
        updated_by=actor,
    )
    session.add(batch)
    session.flush()
    references = [f"{number}-{n:07d}" for n in range(1, len(ordered) + 1)]
    ids = repo.add_transfers(
        session,
        {
            "reference": references,
            "payee_kind": [payee.kind.value for (payee, _), _ in ordered],
            "person_id": [p.id if p.kind == PayeeKind.PERSON else None for (p, _), _ in ordered],
            "provider_id": [
                p.id if p.kind == PayeeKind.PROVIDER else None for (p, _), _ in ordered
            ],
            "creditor_name": [names[payee].name[:140] for (payee, _), _ in ordered],
            "rib": [rib for (_, rib), _ in ordered],
            "amount_centimes": [sum(i.amount_centimes for i in group) for _, group in ordered],
            "items_count": [len(group) for _, group in ordered],
            "claims_count": [len({i.claim_id for i in group}) for _, group in ordered],
        },
        {
            "batch_id": batch.id,
            "status": TransferStatus.PENDING.value,
            "created_at": at,
            "created_by": actor,
            "updated_at": at,
            "updated_by": actor,
        },
    )
    item_ids = [i.id for _, group in ordered for i in group]
    transfer_ids = [
        ids[ref] for ref, (_, group) in zip(references, ordered, strict=True) for _ in group
    ]
    bulk_update(
        session, repo.table(PaymentItem), "id", {"id": item_ids, "transfer_id": transfer_ids}
    )
    session.flush()
    return batch


def _check_execution_date(execution_date: date | None) -> None:
    if execution_date is not None and execution_date < today():
        raise ValidationFailed.one("execution_date", "must be today or later")


def run(
    session: Session,
    actor: str,
    *,
    execution_date: date | None = None,
    chunk_size: int = 1000,
    payee_rule: PayeeRule = facility_or_insured,
) -> RunReport:
    """The whole run in the caller's transaction (the API's admin action), its bank file
    written into the outbox before the caller commits."""
    _check_execution_date(execution_date)
    report, after = RunReport(), 0
    while ids := repo.pick_approved(session, after, chunk_size):
        pay_chunk(session, ids, actor, report, payee_rule)
        after = ids[-1]
    report.batch = form_batch(session, actor, execution_date)
    if report.batch is not None:  # committed with the batch, or neither
        write_bank_file(session, report.batch.number, get_settings().bank_dir, actor)
    return report


def run_chunked(
    engine_or_url: Engine | str,
    actor: str,
    *,
    chunk_size: int = 1000,
    execution_date: date | None = None,
    payee_rule: PayeeRule = facility_or_insured,
    progress: Progress | None = None,
) -> RunReport:
    """The run as a batch job: one transaction per chunk of claims, then one that forms
    the batch. Safe to kill and re-run, and to run twice at once on PostgreSQL."""
    check_chunk_size(chunk_size)
    _check_execution_date(execution_date)
    report, after, seen = RunReport(), 0, 0

    def one_chunk(session: Session) -> int:
        nonlocal after
        ids = repo.pick_approved(session, after, chunk_size)
        if ids:
            pay_chunk(session, ids, actor, report, payee_rule)
            after = ids[-1]
        return len(ids)

    def committed(handled: int) -> None:
        nonlocal seen
        seen += handled
        if progress:
            progress(seen)

    with batch_engine(engine_or_url) as engine:
        run_in_chunks(engine, one_chunk, committed)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            report.batch = form_batch(session, actor, execution_date)
    return report


# ---------------------------------------------------------------------------------------
# Batches and the bank file


def batch_summary(batch: PaymentBatch) -> BatchSummary:
    summary = BatchSummary.model_validate(batch, from_attributes=True)
    summary.stale = is_stale(batch)
    return summary


def is_stale(batch: PaymentBatch, at: datetime | None = None) -> bool:
    """Formed and still without its bank file after the grace period: a run died there."""
    grace = timedelta(minutes=get_settings().payment_file_grace_minutes)
    return batch.status == BatchStatus.FORMED and aware(batch.created_at) + grace < (at or now())


def transfers_out(
    session: Session, batch_number: str, transfers: Sequence[PaymentTransfer]
) -> list[TransferOut]:
    payees = [repo.payee_key(t) for t in transfers]
    labels = repo.payee_labels(session, payees)
    return [
        from_row(TransferOut, t, batch=batch_number, payee=labels[p][0], status=shown_status(t))
        for t, p in zip(transfers, payees, strict=True)
    ]


def batches(session: Session, *, limit: int, offset: int) -> tuple[list[BatchSummary], int]:
    rows, total = repo.batches(session, limit=limit, offset=offset)
    return [batch_summary(b) for b in rows], total


def batch_out(session: Session, number: str, *, limit: int, offset: int) -> BatchOut:
    batch = repo.batch_by_number(session, number)
    transfers, total = repo.transfers_of(session, batch.id, limit=limit, offset=offset)
    counts = repo.status_counts(session, batch.id)
    return BatchOut(
        **batch_summary(batch).model_dump(),
        pending=counts.get(TransferStatus.PENDING, 0),
        settled=counts.get(TransferStatus.SETTLED, 0),
        rejected=counts.get(TransferStatus.REJECTED, 0),
        transfers=transfers_out(session, batch.number, transfers),
        transfers_total=total,
        limit=limit,
        offset=offset,
    )


def transfer_out(session: Session, reference: str, who: Principal | None = None) -> TransferOut:
    transfer = repo.transfer_by_reference(session, reference, who)
    if who is not None:
        log_read(session, who, "transfer", transfer.reference)
    return transfers_out(session, transfer.batch.number, [transfer])[0]


def _document(session: Session, batch: PaymentBatch) -> tuple[str, bytes]:
    """The batch's pain.001 (file name, bytes), checked against the XSD. The bytes depend
    only on the batch and its transfers, so writing it again gives the same file."""
    transfers, _ = repo.transfers_of(session, batch.id)
    document = bankfile.pain001(batch, transfers, bankfile.debtor(get_settings()), batch.currency)
    return f"{batch.number}.{bankfile.PAIN_VERSION}.xml", document


def write_bank_file(session: Session, number: str, directory: Path, actor: str) -> Path:
    """Write the batch's bank file into `directory` (to a temporary name, synced, renamed)
    and record it: a `formed` batch becomes `file_written` when the caller commits. A file
    already there with the same bytes is kept as it is (never written twice)."""
    batch = repo.batch_by_number(session, number, lock=True)
    name, document = _document(session, batch)
    digest = hashlib.sha256(document).hexdigest()
    path = directory / name
    if not (path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest):
        write_durably(path, document)
    if batch.status == BatchStatus.FORMED:
        at = now()
        batch.status = BatchStatus.FILE_WRITTEN
        batch.file_name, batch.file_sha256 = name, digest
        batch.file_written_at, batch.file_written_by = at, actor
        batch.updated_at, batch.updated_by = at, actor
        session.flush()
    return path


def bank_file(session: Session, number: str) -> tuple[str, bytes]:
    """The bank file of a batch that has one (the bytes recorded when it was written)."""
    batch = repo.batch_by_number(session, number)
    if batch.status == BatchStatus.FORMED:
        raise Conflict(
            f"batch {batch.number} has no bank file yet: write it first"
            " (POST .../file or `daman payments export`)",
            code="bank_file_missing",
        )
    name, document = _document(session, batch)
    if hashlib.sha256(document).hexdigest() != batch.file_sha256:
        raise Conflict(
            f"batch {batch.number}: its transfers no longer give the file recorded"
            f" ({batch.file_name}, sha256 {batch.file_sha256})",
            code="bank_file_changed",
        )
    return name, document


def mark_sent(session: Session, number: str, actor: str, reason: str = "") -> PaymentBatch:
    """The batch's file was handed to the bank: `sent`, and its claims read `paid`. Doing it
    again changes nothing; a batch without its file cannot be sent."""
    batch = repo.batch_by_number(session, number, lock=True)
    if batch.status == BatchStatus.FORMED:
        raise Conflict(
            f"batch {batch.number} has no bank file yet: write it before sending",
            code="bank_file_missing",
        )
    if batch.status == BatchStatus.FILE_WRITTEN:
        _sent(session, batch, actor, reason or f"bank file {batch.file_name} sent to the bank")
    return batch


def _sent(session: Session, batch: PaymentBatch, actor: str, reason: str) -> None:
    at = now()
    batch.status, batch.sent_at, batch.sent_by = BatchStatus.SENT, at, actor
    batch.updated_at, batch.updated_by = at, actor
    claims_service.mark_paid(session, repo.claim_ids_of_batch(session, batch.id), actor, reason)
    session.flush()


def write_missing_files(engine: Engine, directory: Path, actor: str) -> list[tuple[str, Path]]:
    """Finish what earlier runs left: the file of every `formed` batch, each in its own
    transaction (committed once the file is on disk). The batches and their paths."""
    with Session(engine) as session:
        numbers = [b.number for b in repo.batches_in(session, BatchStatus.FORMED)]
    written = []
    for number in numbers:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            written.append((number, write_bank_file(session, number, directory, actor)))
    return written


@dataclass(frozen=True)
class StateLine:
    state: BatchStatus
    batches: int
    total_centimes: int


def batch_states(session: Session) -> tuple[list[StateLine], list[PaymentBatch]]:
    """Batches per state, and the batches not yet settled (formed, file written, sent)."""
    counts = repo.state_counts(session)
    lines = [StateLine(s, *counts.get(s.value, (0, 0))) for s in BatchStatus]
    open_batches = repo.batches_in(
        session, BatchStatus.FORMED, BatchStatus.FILE_WRITTEN, BatchStatus.SENT
    )
    return lines, open_batches


# ---------------------------------------------------------------------------------------
# The bank's return


def import_return(session: Session, filename: str, data: bytes, actor: str) -> ReturnOut:
    """Apply a camt.054 notification or a rejected-payment list (see `returns`)."""
    parsed = returns.parse(data, get_settings().currency)
    transfers = repo.transfers_for_update(
        session, [n.end_to_end_id.upper() for n in parsed.notices]
    )
    for batch_id in sorted({t.batch_id for t in transfers.values()}):
        batch = session.get(PaymentBatch, batch_id)
        assert batch is not None
        if batch.status == BatchStatus.FORMED:
            raise Conflict(
                f"the return names transfers of batch {batch.number}, which has no bank file",
                code="bank_file_missing",
            )
        if batch.status == BatchStatus.FILE_WRITTEN:  # the bank answers: it had the file
            _sent(session, batch, actor, f"the bank returned transfers of {batch.file_name}")
    mismatched = [
        FieldError(
            field=f"{n.place}.Amt",
            reason=f"{n.amount_centimes} centimes; transfer {t.reference} is "
            f"{t.amount_centimes} centimes",
        )
        for n in parsed.notices
        if n.outcome == returns.Outcome.SETTLED
        and n.amount_centimes is not None
        and (t := transfers.get(n.end_to_end_id.upper())) is not None
        and n.amount_centimes != t.amount_centimes
    ]
    if mismatched:
        raise ValidationFailed(mismatched, code="return_amount_mismatch")

    at = now()
    record = PaymentReturn(
        filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        format=parsed.format,
        message_id=(parsed.message_id or "")[:35] or None,
        settled=0,
        rejected=0,
        unchanged=0,
        unmatched=0,
        created_at=at,
        created_by=actor,
        updated_at=at,
        updated_by=actor,
    )
    session.add(record)
    session.flush()
    unmatched: dict[str, None] = {}
    batches_touched: set[int] = set()
    for notice in parsed.notices:
        transfer = transfers.get(notice.end_to_end_id.upper())
        if transfer is None:
            unmatched[notice.end_to_end_id] = None
        elif _apply(session, transfer, notice, record, actor):
            batches_touched.add(transfer.batch_id)
        else:
            record.unchanged += 1
    for batch_id, pending in repo.pending_transfers(session, sorted(batches_touched)).items():
        if pending == 0:
            batch = session.get(PaymentBatch, batch_id)
            assert batch is not None
            batch.status, batch.updated_at, batch.updated_by = BatchStatus.RECONCILED, at, actor
    record.unmatched = len(unmatched)
    session.flush()
    return from_row(
        ReturnOut,
        record,
        ignored=parsed.ignored,
        unmatched=list(unmatched),
        imported_at=record.created_at,
        imported_by=record.created_by,
    )


def _apply(
    session: Session,
    transfer: PaymentTransfer,
    notice: returns.Notice,
    record: PaymentReturn,
    actor: str,
) -> bool:
    """One notice on its transfer; False when it changes nothing. A rejection is final: a
    settlement notice for a rejected transfer changes nothing; a return after settlement
    rejects a settled transfer."""
    at = record.created_at
    if notice.outcome == returns.Outcome.SETTLED:
        if transfer.status != TransferStatus.PENDING:
            return False
        transfer.status, transfer.settled_at = TransferStatus.SETTLED, at
        record.settled += 1
    else:
        if transfer.status == TransferStatus.REJECTED:
            return False
        transfer.status, transfer.rejected_at = TransferStatus.REJECTED, at
        transfer.return_code = (notice.reason_code or "")[:35] or None
        transfer.return_reason = notice.reason
        claim_ids = repo.return_items(session, transfer.id, at)
        then = (
            "a temporary reason: paid again in the next payment run"
            if returns.retried(transfer.return_code)
            else "paid again once the RIB is fixed"
        )
        claims_service.mark_returned(
            session,
            claim_ids,
            actor,
            f"bank returned transfer {transfer.reference} "
            f"({transfer.return_code or '?'}: {transfer.return_reason}); {then}",
        )
        record.rejected += 1
    transfer.return_id = record.id
    transfer.updated_at, transfer.updated_by = at, actor
    return True


# ---------------------------------------------------------------------------------------
# Held back


def hold_text(code: str, detail: str, lang: str) -> str:
    return translate(HOLD_TEXT[code], lang, detail=detail)


def held(session: Session, lang: str, *, limit: int, offset: int) -> tuple[list[HeldOut], int]:
    rows, total = repo.held(session, limit=limit, offset=offset)
    labels = repo.payee_labels(session, [r.payee for r in rows])
    return [
        from_row(
            HeldOut,
            r,
            payee_kind=r.payee.kind,
            payee=labels[r.payee][0],
            name=labels[r.payee][1],
            reason=hold_text(r.reason_code, r.detail, lang),
        )
        for r in rows
    ], total
