"""Every query of the claims domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session, selectinload

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims.models import Claim, ClaimDocument, ClaimLine, ClaimStatusEvent
from daman.core.bulk import bulk_insert
from daman.core.db import any_id
from daman.core.errors import NotFound
from daman.providers.models import Provider
from daman.reference.models import ActTariff, AldDisease, Drug
from daman.registry.models import AldExemption, Person
from daman.registry.repository import scope

T = TypeVar("T")
CHUNK = 5_000  # ids per IN list (well under SQLite's bound-parameter limit)


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def one_of(
    session: Session, column: QueryableAttribute[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`, one parameter however
    many values (a query with thousands of parameters costs more to send than to run)."""
    if session.get_bind().dialect.name == "postgresql":
        if isinstance(column.type, Integer):
            return any_id(column, values)
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


@dataclass(frozen=True)
class ProviderRef:
    id: int
    inpe: str
    kind: str
    sector: str
    valid_from: date
    valid_to: date | None


def _full() -> tuple[object, ...]:
    return (
        selectinload(Claim.patient),
        selectinload(Claim.lines).selectinload(ClaimLine.provider),
        selectinload(Claim.lines).selectinload(ClaimLine.prescriber),
        selectinload(Claim.documents),
        selectinload(Claim.events),
    )


def visible_to(who: Principal | None) -> ColumnElement[bool]:
    """The claims ``who`` may see: staff all; an insured person their family's, the family
    as it stood on the claim's care date (its first line's: a claim is one care event); a
    provider the care sheets with a line it gave; anyone else none."""

    def gave_a_line(provider_id: int) -> ColumnElement[bool]:
        lines = select(ClaimLine.id).where(
            ClaimLine.claim_id == Claim.id, ClaimLine.provider_id == provider_id
        )
        return lines.exists()

    care_date = (
        select(func.min(ClaimLine.care_date))
        .where(ClaimLine.claim_id == Claim.id)
        .correlate(Claim)
        .scalar_subquery()
    )
    return scope(who, Claim.patient_id, gave_a_line, on=care_date)


def sees_whole_claim(who: Principal | None) -> bool:
    """Whether ``who`` sees every line and document of the claims it may see: everyone but
    a provider, who sees only its own part of a care sheet (see `lines_seen_by`)."""
    return who is None or who.is_staff or who.role != Role.PROVIDER


def lines_seen_by(claim: Claim, who: Principal | None) -> list[ClaimLine]:
    """The lines of a claim that ``who`` (who may see the claim) may see: a provider only the
    lines of its own care, never the other providers' on the same care sheet."""
    if sees_whole_claim(who):
        return list(claim.lines)
    assert who is not None
    return [ln for ln in claim.lines if ln.provider_id == who.provider_id]


def documents_seen_by(claim: Claim, who: Principal | None) -> list[ClaimDocument]:
    """The documents of a claim that ``who`` may see: a provider only those it uploaded
    itself (not the fund's, such as a specialist's report, nor another provider's)."""
    if sees_whole_claim(who):
        return list(claim.documents)
    assert who is not None
    return [d for d in claim.documents if d.provider_id == who.provider_id]


def by_number(session: Session, number: str, who: Principal | None = None) -> Claim:
    """A claim with its patient, lines, documents and history, freshly read (bulk updates
    and inserts bypass the identity map), or NotFound (also when ``who`` may not see it)."""
    claim = session.scalars(
        select(Claim)
        .where(Claim.number == number.strip().upper(), visible_to(who))
        .options(*_full())  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    ).one_or_none()
    if claim is None:
        raise NotFound(f"no claim numbered {number}", code="claim_not_found")
    return claim


def by_ids(session: Session, ids: Sequence[int]) -> list[Claim]:
    """Claims by id, freshly read (bulk updates bypass the identity map), in id order."""
    out: list[Claim] = []
    for part in chunks(list(ids)):
        out += session.scalars(
            select(Claim)
            .where(one_of(session, Claim.id, part))
            .options(*_full())  # type: ignore[arg-type]
            .execution_options(populate_existing=True)
        )
    return sorted(out, key=lambda c: c.id)


def by_key(session: Session, submitter: str, key: str) -> Claim | None:
    return session.scalars(
        select(Claim).where(Claim.submitter == submitter, Claim.idempotency_key == key)
    ).one_or_none()


def hashes_by_key(session: Session, submitter: str, keys: Sequence[str]) -> dict[str, str | None]:
    """request_hash of the claims already sent under these keys by this submitter."""
    found: dict[str, str | None] = {}
    for part in chunks(list(keys)):
        for key, digest in session.execute(
            select(Claim.idempotency_key, Claim.request_hash).where(
                Claim.submitter == submitter, Claim.idempotency_key.in_(part)
            )
        ):
            if key is not None:
                found[key] = digest
    return found


def page(
    session: Session,
    *,
    patient: str | None,
    status: str | None,
    limit: int,
    offset: int,
    who: Principal | None = None,
) -> tuple[list[Claim], int]:
    where = [visible_to(who)]
    if patient:
        where.append(Person.immatriculation == patient.strip().upper())
    if status:
        where.append(Claim.status == status)
    base = select(Claim).join(Person, Person.id == Claim.patient_id).where(*where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    loads = [selectinload(Claim.patient)]
    if not sees_whole_claim(who):  # its totals are recomputed on the lines it sees
        loads.append(selectinload(Claim.lines))
    rows = session.scalars(
        base.options(*loads).order_by(Claim.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def at_agency(
    session: Session, agency_code: str, limit: int, who: Principal | None = None
) -> list[Claim]:
    """The latest paper claims handed in at an agency, newest first (its index serves)."""
    stmt = (
        select(Claim)
        .where(Claim.agency_code == agency_code, visible_to(who))
        .options(selectinload(Claim.patient))
        .order_by(Claim.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def patients(session: Session, numbers: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(numbers))
    out: dict[str, int] = {}
    for part in chunks(wanted):
        out.update(
            session.execute(
                select(Person.immatriculation, Person.id).where(Person.immatriculation.in_(part))
            ).all()
        )
    return out


def providers(session: Session, inpes: Iterable[str]) -> dict[str, ProviderRef]:
    wanted = sorted(set(inpes))
    out: dict[str, ProviderRef] = {}
    for part in chunks(wanted):
        for row in session.execute(
            select(
                Provider.id,
                Provider.inpe,
                Provider.kind,
                Provider.sector,
                Provider.valid_from,
                Provider.valid_to,
            ).where(Provider.inpe.in_(part))
        ):
            out[row.inpe] = ProviderRef(*row)
    return out


def act_keys(session: Session, keys: Iterable[str]) -> set[str]:
    wanted = sorted(set(keys))
    out: set[str] = set()
    for part in chunks(wanted):
        out.update(session.scalars(select(ActTariff.key).where(ActTariff.key.in_(part))))
    return out


def drug_codes(session: Session, codes: Iterable[str]) -> set[str]:
    wanted = sorted(set(codes))
    out: set[str] = set()
    for part in chunks(wanted):
        out.update(session.scalars(select(Drug.code).where(Drug.code.in_(part))))
    return out


def ald_codes(session: Session, codes: Iterable[str]) -> set[str]:
    wanted = sorted(set(codes))
    out: set[str] = set()
    for part in chunks(wanted):
        out.update(session.scalars(select(AldDisease.code).where(AldDisease.code.in_(part))))
    return out


def every_act_key(session: Session) -> frozenset[str]:
    """Every TNR key of the tariffs (kept per reference stamp, daman.reference.cache)."""
    return frozenset(session.scalars(select(ActTariff.key).distinct()))


def every_drug_code(session: Session) -> frozenset[str]:
    """Every drug code of the list (kept per reference stamp)."""
    return frozenset(session.scalars(select(Drug.code)))


def every_ald_code(session: Session) -> frozenset[str]:
    """Every ALD code of the list (kept per reference stamp)."""
    return frozenset(session.scalars(select(AldDisease.code)))


@dataclass(frozen=True)
class ExemptionRef:
    ald_code: str
    valid_from: date
    valid_to: date | None


def ald_exemptions(session: Session, person_ids: Iterable[int]) -> dict[int, list[ExemptionRef]]:
    """The ALD exemptions granted to these persons (every period), by person."""
    out: dict[int, list[ExemptionRef]] = {}
    for part in chunks(sorted(set(person_ids))):
        for row in session.execute(
            select(
                AldExemption.person_id,
                AldExemption.ald_code,
                AldExemption.valid_from,
                AldExemption.valid_to,
            ).where(AldExemption.person_id.in_(part))
        ):
            out.setdefault(row.person_id, []).append(ExemptionRef(*row[1:]))
    return out


def add_events(
    session: Session,
    claim_ids: Sequence[int],
    *,
    from_status: str | list[str | None] | None,
    to_status: str | list[str],
    at: datetime,
    by: str,
    reason: str = "",
) -> None:
    """One status event per claim, in one bulk insert."""
    if not claim_ids:
        return
    n = len(claim_ids)
    bulk_insert(
        session,
        cast(Table, ClaimStatusEvent.__table__),
        {
            "claim_id": list(claim_ids),
            "from_status": from_status if isinstance(from_status, list) else [from_status] * n,
            "to_status": to_status if isinstance(to_status, list) else [to_status] * n,
        },
        {"at": at, "by": by, "reason": reason},
    )
