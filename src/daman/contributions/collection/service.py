"""The use cases behind the API and the command line: each composes the domain's modules
and returns the API's shapes. Flushes only; the request's (or command's) transaction
commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.contributions.collection import accounts
from daman.contributions.collection import repository as repo
from daman.contributions.collection import statement as pdf
from daman.contributions.collection.declarations import DeclarationReport
from daman.contributions.collection.errors import AccountNotFound
from daman.contributions.collection.models import EmployerUser, MemberCategory
from daman.contributions.collection.rules_in_force import tns_categories
from daman.contributions.collection.schemas import (
    AccountOut,
    CallMadeOut,
    CallOut,
    CategoryIn,
    CategoryOut,
    CollectedOut,
    CollectedRow,
    DeclarationOut,
    EmployerUserOut,
    EntryOut,
    RowErrorOut,
)
from daman.contributions.ledger import repository as ledger
from daman.contributions.ledger.models import (
    Allocation,
    Call,
    CallStatus,
    Entry,
    EntryKind,
    Part,
    PayerAccount,
)
from daman.core.dates import today
from daman.core.errors import ValidationFailed
from daman.core.money import BP
from daman.registry.models import Employer, Person

SHOWN_ERRORS = 1_000
MAX_STATEMENT_DAYS = 3 * 366
EARLIEST = date(1900, 1, 1)  # no contribution before; a date before it is a mistake


def declaration_out(report: DeclarationReport) -> DeclarationOut:
    return DeclarationOut(
        regime=report.regime,
        month=report.month,
        filename=report.filename,
        sha256=report.sha256,
        rows_read=report.rows_read,
        rows_loaded=report.rows_loaded,
        rows_rejected=report.rows_rejected,
        replayed=report.replayed,
        calls=[CallMadeOut.model_validate(c) for c in report.calls],
        errors=[
            RowErrorOut(line=e.line, field=e.field, reason=e.reason, kind=e.kind)
            for e in report.errors[:SHOWN_ERRORS]
        ],
        errors_total=len(report.errors),
    )


def account_out(session: Session, account: PayerAccount, on: date | None = None) -> AccountOut:
    """The account's position on `on` (today): balance, what it owes, its credit."""
    on = on or today()
    owed_items = ledger.owed_items(session, [account.id]).get(account.id, [])
    credit = sum(c.available for c in ledger.credits(session, [account.id]).get(account.id, []))
    return AccountOut(
        number=account.number,
        kind=account.kind,
        name=account.name,
        email=account.email,
        language=account.language,
        on=on,
        balance_centimes=ledger.balance(session, account.id, on),
        owed_centimes=sum(o.amount for o in owed_items),
        credit_centimes=credit,
        overdue_centimes=sum(o.amount for o in owed_items if o.due < on),
        open_calls=len({o.call_id for o in owed_items}),
    )


def calls_out(session: Session, calls: list[Call], account: PayerAccount) -> list[CallOut]:
    owed = ledger.owed_on_calls(session, [c.id for c in calls])
    return [
        CallOut(
            number=c.number,
            account=account.number,
            regime_code=c.regime_code,
            month=c.month,
            sequence=c.sequence,
            members=c.members,
            base_centimes=c.base_centimes,
            member_centimes=c.member_centimes,
            employer_centimes=c.employer_centimes,
            solidarity_centimes=c.solidarity_centimes,
            total_centimes=c.total_centimes,
            member_rate_bp=c.member_rate_bp,
            employer_rate_bp=c.employer_rate_bp,
            solidarity_rate_bp=c.solidarity_rate_bp,
            issued_on=c.issued_on,
            due_date=c.due_date,
            status=c.status,
            paid_on=c.paid_on,
            owed_centimes=max(owed.get((c.id, Part.PRINCIPAL), 0), 0),
            penalty_centimes=max(owed.get((c.id, Part.PENALTY), 0), 0),
        )
        for c in calls
    ]


def entries_out(rows: list[tuple[Entry, str | None]], who: Principal) -> list[EntryOut]:
    return [
        EntryOut(
            id=e.id,
            value_date=e.value_date,
            kind=e.kind,
            amount_centimes=e.amount_centimes,
            call=number,
            part=e.part,
            reason=e.reason,
            created_at=e.created_at,
            created_by=who.shown(e.created_by),
        )
        for e, number in rows
    ]


def statement_file(
    session: Session, account: PayerAccount, start: date | None, end: date | None
) -> tuple[str, bytes]:
    """(file name, PDF) of the account's statement from `start` (the year's start) to `end`
    (today), in French and Arabic; a period over three years or before 1900 is refused."""
    end = end or today()
    start = start or end.replace(month=1, day=1)
    if start > end or end - start > timedelta(days=MAX_STATEMENT_DAYS):
        raise ValidationFailed.one("start", f"a period of at most {MAX_STATEMENT_DAYS} days")
    if start < EARLIEST:
        raise ValidationFailed.one("start", f"from {EARLIEST} on")
    content = pdf.render(pdf.statement(session, account, start, end))
    return f"releve-{account.number}-{start:%Y%m%d}-{end:%Y%m%d}.pdf", content


def patch_account(
    session: Session, account: PayerAccount, email: str | None, language: str | None, actor: str
) -> PayerAccount:
    if email is not None:
        account.email = email
    if language is not None:
        account.language = language
    account.updated_by = actor
    session.flush()
    return account


def link_employer_user(session: Session, number: str, username: str, actor: str) -> EmployerUserOut:
    """Link a user of role employer to the employer it acts for."""
    employer = session.scalar(select(Employer).where(Employer.number == number))
    if employer is None:
        raise AccountNotFound(f"no employer {number}")
    user = repo.user_by_username(session, username)
    if user is None:
        raise ValidationFailed.one("username", f"no user {username}")
    if user.role != Role.EMPLOYER:
        raise ValidationFailed.one("username", f"{username} is not a user of role employer")
    link = session.scalar(select(EmployerUser).where(EmployerUser.user_id == user.id))
    if link is None:
        session.add(
            EmployerUser(
                user_id=user.id, employer_id=employer.id, created_by=actor, updated_by=actor
            )
        )
    else:
        link.employer_id = employer.id
        link.updated_by = actor
    account = accounts.of_employer(session, employer, actor)
    session.flush()
    return EmployerUserOut(username=username, employer=employer.number, account=account.number)


def set_category(
    session: Session, immatriculation: str, payload: CategoryIn, actor: str
) -> CategoryOut:
    """A TNS member's category from a date: the one in force is closed the day before."""
    person = session.scalar(
        select(Person).where(Person.immatriculation == immatriculation.strip().upper())
    )
    if person is None:
        raise AccountNotFound(f"no person {immatriculation}")
    known = tns_categories(session, payload.valid_from)
    if payload.category not in known:
        raise ValidationFailed.one(
            "category",
            f"no TNS category {payload.category} in force on {payload.valid_from} "
            f"({', '.join(sorted(known))})",
        )
    current = session.scalars(
        select(MemberCategory)
        .where(MemberCategory.person_id == person.id, MemberCategory.valid_to.is_(None))
        .order_by(MemberCategory.valid_from)
    ).all()
    for row in current:
        if row.valid_from >= payload.valid_from:
            raise ValidationFailed.one(
                "valid_from", f"a category already starts on {row.valid_from}: give a later day"
            )
        row.valid_to = date.fromordinal(payload.valid_from.toordinal() - 1)
        row.updated_by = actor
    row = MemberCategory(
        person_id=person.id,
        category_code=payload.category,
        valid_from=payload.valid_from,
        liaison=payload.liaison,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    return CategoryOut(
        immatriculation=person.immatriculation,
        category=row.category_code,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        liaison=row.liaison,
    )


def collected(session: Session, start: date, end: date) -> CollectedOut:
    """Collected against due, per regime and month (months `start` to `end`): counts and
    sums only, no payer named."""
    if end < start:
        raise ValidationFailed.one("end", "before the start")
    if (end.year - start.year) * 12 + end.month - start.month >= 120:
        raise ValidationFailed.one("end", "at most 10 years at a time")
    in_range = (Call.month >= start, Call.month <= end)
    keys = (Call.regime_code, Call.month)
    calls = {
        (r, m): (int(n), int(p or 0))
        for r, m, n, p in session.execute(
            select(
                *keys,
                func.count(Call.id),
                func.sum(case((Call.status == CallStatus.PAID, 1), else_=0)),
            )
            .where(*in_range)
            .group_by(*keys)
        )
    }
    sums: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r, m, kind, part, amount in session.execute(
        select(*keys, Entry.kind, Entry.part, func.sum(Entry.amount_centimes))
        .join(Entry, Entry.call_id == Call.id)
        .where(*in_range)
        .group_by(*keys, Entry.kind, Entry.part)
    ):
        sums[(r, m)][f"due_{part}"] += int(amount)
        if part == Part.PRINCIPAL:
            sums[(r, m)]["called" if kind == EntryKind.CALL else "adjusted"] += int(amount)
    for r, m, part, amount in session.execute(
        select(*keys, Allocation.part, func.sum(Allocation.amount_centimes))
        .join(Allocation, Allocation.call_id == Call.id)
        .where(*in_range)
        .group_by(*keys, Allocation.part)
    ):
        sums[(r, m)][f"paid_{part}"] += int(amount)
    rows = []
    for key in sorted(calls):
        due, paid = sums[key]["due_principal"], sums[key]["paid_principal"]
        rows.append(
            CollectedRow(
                regime=key[0],
                month=key[1],
                calls=calls[key][0],
                paid_calls=calls[key][1],
                called_centimes=sums[key]["called"],
                adjusted_centimes=sums[key]["adjusted"],
                due_centimes=due,
                collected_centimes=paid,
                penalties_centimes=sums[key]["due_penalty"],
                rate_bp=(paid * BP // due) if due > 0 else 0,
            )
        )
    return CollectedOut(start=start, end=end, rows=rows)
