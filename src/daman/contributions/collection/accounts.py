"""Payer accounts: found or opened on first need, one per employer, member,
administration; one for the State and one suspense account.

Numbers say whose account it is: ``E`` + the employer's CNSS number, ``M`` + the member's
immatriculation, ``A`` + the administration's code, ``STATE``, ``SUSPENSE``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from daman.contributions.collection.errors import AccountNotFound
from daman.contributions.ledger.models import PayerAccount, PayerKind
from daman.contributions.ledger.repository import WHOLE, among, chunks
from daman.core.bulk import copy_insert, frame_of, reserve_ids
from daman.core.dates import now
from daman.core.errors import ValidationFailed
from daman.registry.models import Employer, Person

STATE = "STATE"
SUSPENSE = "SUSPENSE"
ADMINISTRATION_CODE = r"^[A-Z0-9_-]{2,30}$"


def employer_number(employer: Employer) -> str:
    return f"E{employer.number}"


def member_number(immatriculation: str) -> str:
    return f"M{immatriculation}"


def _opened(
    session: Session,
    number: str,
    kind: PayerKind,
    name: str,
    actor: str,
    *,
    employer_id: int | None = None,
    person_id: int | None = None,
    language: str = "fr",
) -> PayerAccount:
    found = session.scalar(select(PayerAccount).where(PayerAccount.number == number))
    if found is not None:
        return found
    account = PayerAccount(
        number=number,
        kind=kind,
        name=name[:300],
        employer_id=employer_id,
        person_id=person_id,
        language=language,
        created_by=actor,
        updated_by=actor,
    )
    session.add(account)
    session.flush()
    return account


def of_employer(session: Session, employer: Employer, actor: str) -> PayerAccount:
    return _opened(
        session,
        employer_number(employer),
        PayerKind.EMPLOYER,
        employer.name,
        actor,
        employer_id=employer.id,
    )


def of_person(session: Session, person: Person, actor: str) -> PayerAccount:
    return _opened(
        session,
        member_number(person.immatriculation),
        PayerKind.MEMBER,
        f"{person.last_name} {person.first_name}",
        actor,
        person_id=person.id,
        language=person.preferred_language or "fr",
    )


def of_state(session: Session, actor: str) -> PayerAccount:
    return _opened(session, STATE, PayerKind.STATE, "État (AMO Tadamon)", actor)


def suspense(session: Session, actor: str) -> PayerAccount:
    return _opened(session, SUSPENSE, PayerKind.SUSPENSE, "Encaissements non identifiés", actor)


def open_administration(session: Session, code: str, name: str, actor: str) -> PayerAccount:
    """The account of a paying administration (CNOPS), opened by an agent."""
    import re

    code = code.strip().upper()
    if not re.fullmatch(ADMINISTRATION_CODE, code):
        raise ValidationFailed.one("code", "2 to 30 letters, digits, - or _")
    if not name.strip():
        raise ValidationFailed.one("name", "is required")
    return _opened(session, f"A{code}", PayerKind.ADMINISTRATION, name.strip(), actor)


def by_number(session: Session, number: str) -> PayerAccount:
    found = session.scalar(select(PayerAccount).where(PayerAccount.number == number.strip()))
    if found is None:
        raise AccountNotFound(f"no payer account {number}")
    return found


def _pairs(session: Session, stmt: Any) -> list[tuple[int, int]]:
    """(key, id) rows of a two-column statement; as one text on PostgreSQL (frame_of)."""
    if session.get_bind().dialect.name == "postgresql":
        frame = frame_of(session, stmt, {"key": pl.Int64, "id": pl.Int64})
        return list(zip(frame["key"].to_list(), frame["id"].to_list(), strict=True))
    return [(int(k), int(i)) for k, i in session.execute(stmt)]


def numbers(session: Session, account_ids: Iterable[int]) -> dict[int, str]:
    """The number of each account."""
    ids = sorted(set(account_ids))
    if len(ids) > WHOLE and session.get_bind().dialect.name == "postgresql":
        wanted = set(ids)
        stmt: Any = select(PayerAccount.id, PayerAccount.number)
        frame = frame_of(session, stmt, {"id": pl.Int64, "number": pl.String})
        return {
            i: n
            for i, n in zip(frame["id"].to_list(), frame["number"].to_list(), strict=True)
            if i in wanted
        }
    out: dict[int, str] = {}
    for part in chunks(ids):
        out.update(
            dict(
                session.execute(
                    select(PayerAccount.id, PayerAccount.number).where(
                        among(session, PayerAccount.id, part)
                    )
                ).all()
            )
        )
    return out


def employer_accounts(session: Session, employer_ids: Iterable[int], actor: str) -> dict[int, int]:
    """The account id of each employer, opening the missing ones in one write."""
    return _ensure(session, "employer_id", sorted(set(employer_ids)), actor)


def member_accounts(session: Session, person_ids: Iterable[int], actor: str) -> dict[int, int]:
    """The account id of each person as a paying member, opening the missing ones."""
    return _ensure(session, "person_id", sorted(set(person_ids)), actor)


def _ensure(session: Session, key: str, ids: list[int], actor: str) -> dict[int, int]:
    column = getattr(PayerAccount, key)
    found: dict[int, int] = {}
    if len(ids) > WHOLE:  # a month's run: every account of the kind in one read
        wanted = set(ids)
        stmt = select(column, PayerAccount.id).where(column.is_not(None))
        found = {owner: account for owner, account in _pairs(session, stmt) if owner in wanted}
    else:
        for part in chunks(ids):
            found.update(
                {
                    owner: account
                    for owner, account in session.execute(
                        select(column, PayerAccount.id).where(among(session, column, part))
                    )
                }
            )
    missing = [i for i in ids if i not in found]
    if not missing:
        return found
    kind = PayerKind.EMPLOYER if key == "employer_id" else PayerKind.MEMBER
    owners = pl.concat(
        [frame_of(session, _owners(session, key, part), OWNER) for part in chunks(missing, BIG)]
    )
    ids_new = reserve_ids(session, PayerAccount.__table__, owners.height)  # type: ignore[arg-type]
    at = now()
    frame = owners.select(
        pl.Series("id", ids_new, dtype=pl.Int64),
        pl.col("number"),
        pl.lit(kind.value).alias("kind"),
        pl.col("owner").alias(key),
        pl.col("name"),
        pl.col("language"),
        pl.lit(actor).alias("created_by"),
        pl.lit(actor).alias("updated_by"),
        pl.lit(at).alias("created_at"),
        pl.lit(at).alias("updated_at"),
    )
    copy_insert(session, PayerAccount.__table__, frame, actor)  # type: ignore[arg-type]
    found.update(zip(owners["owner"].to_list(), ids_new, strict=True))
    return found


# The owners of accounts to open, read as one frame per BIG of them (a month's run opens
# every new member's: 1.6 M the first month).
BIG = 200_000
OWNER = {"owner": pl.Int64, "number": pl.String, "name": pl.String, "language": pl.String}


def _owners(session: Session, key: str, ids: list[int]) -> Any:
    """owner id, account number, name and language of the employers or persons `ids`."""
    if key == "employer_id":
        return select(
            Employer.id,
            literal("E") + Employer.number,
            func.substr(Employer.name, 1, 300),
            literal("fr"),
        ).where(among(session, Employer.id, ids))
    return select(
        Person.id,
        literal("M") + Person.immatriculation,
        func.substr(Person.last_name + " " + Person.first_name, 1, 300),
        func.coalesce(Person.preferred_language, "fr"),
    ).where(among(session, Person.id, ids))
