"""Who sees which payer account, and the reads of the API.

Staff (and the fund's own code) see every account; an employer's user the account of the
employer it is linked to; an insured person their own account as a paying member; anyone
else none. An account out of scope is "not found", never "forbidden".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role, User
from daman.contributions.collection import accounts
from daman.contributions.collection.errors import AccountNotFound, CallNotFound, NoEmployerLinked
from daman.contributions.collection.models import EmployerUser
from daman.contributions.ledger.models import Call, CallLine, Entry, PayerAccount, PayerKind
from daman.registry.models import Employer, Person


def employer_of(session: Session, who: Principal) -> Employer:
    """The employer a user of role employer acts for (NoEmployerLinked otherwise)."""
    employer = session.scalar(
        select(Employer)
        .join(EmployerUser, EmployerUser.employer_id == Employer.id)
        .where(EmployerUser.user_id == who.user_id)
    )
    if employer is None:
        raise NoEmployerLinked("this employer account is not linked to an employer yet")
    return employer


def own_account(session: Session, who: Principal, actor: str) -> PayerAccount:
    """The caller's own payer account (an employer's, or an insured person's as a member),
    opened on first need."""
    if who.role == Role.EMPLOYER and not who.unrestricted:
        return accounts.of_employer(session, employer_of(session, who), actor)
    if who.role == Role.INSURED and who.person_id is not None:
        person = session.get(Person, who.person_id)
        assert person is not None
        return accounts.of_person(session, person, actor)
    raise AccountNotFound("only an employer or an insured person has an account of their own")


def visible(session: Session, who: Principal, number: str) -> PayerAccount:
    """The account `number` if the caller may see it (AccountNotFound otherwise)."""
    account = session.scalar(select(PayerAccount).where(PayerAccount.number == number.strip()))
    if account is None or not _sees(session, who, account):
        raise AccountNotFound(f"no payer account {number}")
    return account


def _sees(session: Session, who: Principal, account: PayerAccount) -> bool:
    if who.is_staff:
        return True
    if who.role == Role.EMPLOYER:
        linked = session.scalar(
            select(EmployerUser.employer_id).where(EmployerUser.user_id == who.user_id)
        )
        return linked is not None and linked == account.employer_id
    if who.role == Role.INSURED:
        return who.person_id is not None and who.person_id == account.person_id
    return False


def visible_call(session: Session, who: Principal, number: str) -> tuple[Call, PayerAccount]:
    found = session.execute(
        select(Call, PayerAccount)
        .join(PayerAccount, PayerAccount.id == Call.account_id)
        .where(Call.number == number.strip())
    ).first()
    if found is None or not _sees(session, who, found[1]):
        raise CallNotFound(f"no call {number}")
    return found[0], found[1]


def calls_of(
    session: Session, account_id: int, *, limit: int, offset: int
) -> tuple[Sequence[Call], int]:
    total = session.scalar(select(func.count(Call.id)).where(Call.account_id == account_id))
    rows = session.scalars(
        select(Call)
        .where(Call.account_id == account_id)
        .order_by(Call.month.desc(), Call.sequence.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total or 0)


def entries_of(
    session: Session,
    account_id: int,
    start: date | None,
    end: date | None,
    *,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Entry, str | None]], int]:
    where = [Entry.account_id == account_id]
    if start is not None:
        where.append(Entry.value_date >= start)
    if end is not None:
        where.append(Entry.value_date <= end)
    total = session.scalar(select(func.count(Entry.id)).where(*where))
    rows = session.execute(
        select(Entry, Call.number)
        .outerjoin(Call, Call.id == Entry.call_id)
        .where(*where)
        .order_by(Entry.value_date, Entry.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(e, n) for e, n in rows], int(total or 0)


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def declared_about(
    session: Session, who: Principal, *, limit: int
) -> list[tuple[CallLine, Call, PayerAccount]]:
    """What employers and paying administrations declared about the caller, an insured
    person (the latest months first): the month's line, its call and who pays it. Nobody
    else has lines of their own."""
    if who.role != Role.INSURED or who.person_id is None:
        return []
    rows = session.execute(
        select(CallLine, Call, PayerAccount)
        .join(Call, Call.id == CallLine.call_id)
        .join(PayerAccount, PayerAccount.id == Call.account_id)
        .where(
            CallLine.person_id == who.person_id,
            PayerAccount.kind.in_((PayerKind.EMPLOYER, PayerKind.ADMINISTRATION)),
        )
        .order_by(CallLine.month.desc(), Call.sequence.desc())
        .limit(limit)
    ).all()
    return [(line, call, account) for line, call, account in rows]
