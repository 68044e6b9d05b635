"""Arrears: late-payment penalties as the rules say, reminders through the outbox, and the
agents' adjustments and waivers.

**Penalties.** For each call past its due date whose regime's collection rule has
penalties (CNSS_SAL: 3 % the first month, 1 % each further month), the penalty earned on a
date is computed from what was unpaid at each month's start (daman.contributions.ledger.
rules.penalty); the run posts the difference with what was already posted (positive, or
negative when a payment dated earlier arrived since). Running it twice the same day posts
nothing the second time. A penalty is owed like a call: payments settle the principal of
a month before its penalty, the oldest month first.

**Reminders.** A payer with an e-mail address and calls unpaid past their due date gets a
reminder in its language, once per oldest overdue call and month of delay.

**Adjustments and waivers** are entries with a reason (and for a waiver the text that
grants it: an amnesty law, a campaign), never deletions: a call reduced after payment
gives back what it no longer needs, which pays the next call owed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.contributions.collection import accounts
from daman.contributions.collection.errors import CallNotFound
from daman.contributions.collection.rules_in_force import rules_in_force
from daman.contributions.collection.texts import reminder
from daman.contributions.ledger import posting
from daman.contributions.ledger import repository as repo
from daman.contributions.ledger.models import (
    Allocation,
    Call,
    CallStatus,
    Entry,
    EntryKind,
    Part,
    PayerAccount,
)
from daman.contributions.ledger.rules import months_late, penalty
from daman.core.dates import today
from daman.core.errors import FieldError, ValidationFailed
from daman.core.money import MAX_CENTIMES, format_mad
from daman.notifications import service as notifications
from daman.notifications.models import Notification
from daman.reference.contribution_rules import CollectionRule

REMINDER = "contribution_reminder"


@dataclass
class ArrearsReport:
    on: date
    calls_late: int = 0
    penalties_posted: int = 0
    penalties_centimes: int = 0
    reminders: int = 0


def run_arrears(session: Session, on: date, actor: str) -> ArrearsReport:
    """Penalties earned by `on`, then reminders. Flushes only."""
    report = ArrearsReport(on)
    _penalties(session, on, actor, report)
    report.reminders = _reminders(session, on, actor)
    return report


def _penalties(session: Session, on: date, actor: str, report: ArrearsReport) -> None:
    penalised = select(Entry.call_id).where(Entry.part == Part.PENALTY)
    late = session.scalars(
        select(Call).where(
            Call.due_date < on,
            (Call.status.in_((CallStatus.OPEN, CallStatus.PARTIAL)))
            | (Call.paid_on > Call.due_date)
            | Call.id.in_(penalised),
        )
    ).all()
    report.calls_late = sum(1 for c in late if c.status in (CallStatus.OPEN, CallStatus.PARTIAL))
    rules: dict[tuple[str, date], CollectionRule] = {}
    ids = [c.id for c in late]
    principal: dict[int, list[tuple[date, int]]] = defaultdict(list)
    posted: dict[int, int] = defaultdict(int)
    for part_ids in repo.chunks(ids):
        for call_id, part, value_date, amount in session.execute(
            select(Entry.call_id, Entry.part, Entry.value_date, Entry.amount_centimes).where(
                repo.among(session, Entry.call_id, part_ids)
            )
        ):
            assert call_id is not None
            if part == Part.PRINCIPAL:
                principal[call_id].append((value_date, int(amount)))
            else:
                posted[call_id] += int(amount)
        for call_id, value_date, amount in session.execute(
            select(Allocation.call_id, Allocation.value_date, Allocation.amount_centimes).where(
                repo.among(session, Allocation.call_id, part_ids),
                Allocation.part == Part.PRINCIPAL,
            )
        ):
            principal[call_id].append((value_date, -int(amount)))
    rows: list[dict[str, object]] = []
    for call in late:
        key = (call.regime_code, call.month)
        if key not in rules:
            rules[key] = rules_in_force(session, call.regime_code, call.month).collection
        rule = rules[key]
        if not (rule.first_month_penalty_bp or rule.further_month_penalty_bp):
            continue
        moves = principal[call.id]

        def unpaid_at(day: date, moves: list[tuple[date, int]] = moves) -> int:
            return sum(amount for when, amount in moves if when <= day)

        difference = penalty(call.due_date, on, unpaid_at, rule) - posted[call.id]
        if difference:
            rows.append(
                {
                    "account_id": call.account_id,
                    "kind": EntryKind.PENALTY,
                    "amount_centimes": difference,
                    "value_date": on,
                    "call_id": call.id,
                    "part": Part.PENALTY,
                    "reason": f"{call.number}: {months_late(call.due_date, on)} month(s) late",
                }
            )
            report.penalties_centimes += difference
    posting.post(session, rows, actor)
    report.penalties_posted = len(rows)
    if rows:
        posting.apply_where_credit(session, {call.account_id for call in late}, actor, "penalty")


def _reminders(session: Session, on: date, actor: str) -> int:
    overdue = session.execute(
        select(PayerAccount, Call)
        .join(Call, Call.account_id == PayerAccount.id)
        .where(
            PayerAccount.email.is_not(None),
            Call.status.in_((CallStatus.OPEN, CallStatus.PARTIAL)),
            Call.due_date < on,
        )
        .order_by(PayerAccount.id, Call.due_date, Call.id)
    ).all()
    oldest: dict[int, tuple[PayerAccount, Call, int]] = {}
    for account, call in overdue:
        count = oldest[account.id][2] + 1 if account.id in oldest else 1
        first = oldest[account.id][1] if account.id in oldest else call
        oldest[account.id] = (account, first, count)
    queued = 0
    for account, call, count in oldest.values():
        late = months_late(call.due_date, on)
        reference = f"{call.number}/{late}"[:40]
        sent = session.scalar(
            select(func.count(Notification.id)).where(
                Notification.topic == REMINDER, Notification.reference == reference
            )
        )
        if sent:
            continue
        owed = repo.balance(session, account.id)
        if owed <= 0:
            continue
        subject, body = reminder(
            account.language,
            account=account.number,
            name=account.name,
            calls=count,
            oldest=call.number,
            due=call.due_date,
            amount=f"{format_mad(owed)} MAD",
        )
        notifications.queue(
            session,
            recipient=account.email,
            subject=subject,
            body=body,
            topic=REMINDER,
            reference=reference,
            actor=actor,
        )
        queued += 1
    return queued


# ---------------------------------------------------------------------------------------
# Adjustments and waivers


@dataclass(frozen=True)
class Adjusted:
    entry_kind: EntryKind
    amount_centimes: int
    account: str
    call: str | None
    balance_centimes: int


def adjust(
    session: Session,
    *,
    account_number: str,
    amount_centimes: int,
    reason: str,
    actor: str,
    call_number: str | None = None,
    part: Part = Part.PRINCIPAL,
    waiver: bool = False,
    value_date: date | None = None,
) -> Adjusted:
    """An agent's correction (signed: positive adds to what is owed) or a waiver (a
    reduction, with the text that grants it in `reason`), on a call's principal or
    penalty, or, for a credit, on the account. Then what the account owes and its credit
    are brought together again."""
    errors = []
    if not reason.strip():
        errors.append(FieldError(field="reason", reason="is required"))
    if amount_centimes == 0 or abs(amount_centimes) > MAX_CENTIMES:
        errors.append(FieldError(field="amount", reason="must not be zero nor above the limit"))
    if waiver and amount_centimes > 0:
        errors.append(FieldError(field="amount", reason="a waiver reduces what is owed"))
    if call_number is None and amount_centimes > 0:
        errors.append(FieldError(field="call", reason="an amount owed is owed on a call"))
    if errors:
        raise ValidationFailed(errors)
    account = accounts.by_number(session, account_number)
    call = None
    if call_number is not None:
        call = session.scalar(
            select(Call).where(Call.number == call_number, Call.account_id == account.id)
        )
        if call is None:
            raise CallNotFound(f"no call {call_number} on account {account.number}")
    kind = EntryKind.WAIVER if waiver else EntryKind.ADJUSTMENT
    posting.post(
        session,
        [
            {
                "account_id": account.id,
                "kind": kind,
                "amount_centimes": amount_centimes,
                "value_date": value_date or today(),
                "call_id": call.id if call else None,
                "part": part if call else None,
                "reason": reason.strip(),
            }
        ],
        actor,
    )
    if call is not None:
        posting.release_excess(session, [call.id], actor, value_date)
        posting.refresh_status(session, [call.id], actor, reason.strip())
    posting.apply_credits(session, [account.id], actor, reason.strip())
    return Adjusted(
        kind,
        amount_centimes,
        account.number,
        call.number if call else None,
        repo.balance(session, account.id),
    )
