"""Every query of the payments domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from daman.auth.access import Principal
from daman.claims.models import Claim, ClaimLine, ClaimStatus
from daman.claims.repository import by_ids, chunks, one_of
from daman.core.bulk import bulk_insert
from daman.core.errors import NotFound
from daman.payments.models import (
    HoldReason,
    PayeeKind,
    PaymentBatch,
    PaymentHold,
    PaymentItem,
    PaymentTransfer,
    TransferStatus,
)
from daman.providers.models import Provider
from daman.registry.models import DependentLink, Person
from daman.registry.repository import scope


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


@dataclass(frozen=True)
class Payee:
    kind: PayeeKind
    id: int


@dataclass(frozen=True)
class PayableLine:
    """A line of an approved claim with something to pay, and the claim's first care date."""

    claim_id: int
    line_id: int
    patient_id: int
    provider_id: int
    care_date: date
    amo_centimes: int
    complementary_centimes: int

    @property
    def amount_centimes(self) -> int:
        return self.amo_centimes + self.complementary_centimes


@dataclass(frozen=True)
class PayeeRow:
    name: str
    rib: str | None
    death_date: date | None


@dataclass(frozen=True)
class Rejection:
    rib: str
    code: str | None
    reason: str | None
    at: datetime | None


# ---------------------------------------------------------------------------------------
# The run: what to pay, to whom


def pick_approved(session: Session, after_id: int, limit: int) -> list[int]:
    """The next approved claims after `after_id`, in id order; on PostgreSQL locked,
    skipping claims that a concurrent run holds."""
    stmt = (
        select(Claim.id)
        .where(Claim.status == ClaimStatus.APPROVED, Claim.id > after_id)
        .order_by(Claim.id)
        .limit(limit)
    )
    if _postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def payable_lines(session: Session, claim_ids: Sequence[int]) -> list[PayableLine]:
    """Lines with an amount to pay of these claims, each with its claim's first care date."""
    rows: list[Any] = []
    first_care: dict[int, date] = {}
    for part in chunks(list(claim_ids)):
        found = session.execute(
            select(
                ClaimLine.claim_id,
                ClaimLine.id,
                Claim.patient_id,
                ClaimLine.provider_id,
                ClaimLine.care_date,
                func.coalesce(ClaimLine.amo_centimes, 0),
                func.coalesce(ClaimLine.complementary_centimes, 0),
            )
            .join(Claim, Claim.id == ClaimLine.claim_id)
            .where(one_of(session, ClaimLine.claim_id, part))
            .order_by(ClaimLine.claim_id, ClaimLine.line_no)
        ).all()
        for row in found:
            claim_id, care = row[0], row[4]
            first_care[claim_id] = min(care, first_care.get(claim_id, care))
        rows += found
    return [
        PayableLine(r[0], r[1], r[2], r[3], first_care[r[0]], r[5], r[6])
        for r in rows
        if r[5] + r[6] > 0
    ]


def principals_on(
    session: Session, pairs: Iterable[tuple[int, date]]
) -> dict[tuple[int, date], tuple[int, date | None]]:
    """For (person, date) pairs where the person was a dependent on that date: the principal
    insured of the link covering the date, and the principal's death date."""
    wanted = set(pairs)
    persons = sorted({pid for pid, _ in wanted})
    links: dict[int, list[tuple[date, date | None, int, date | None]]] = {}
    for part in chunks(persons):
        for dep, start, end, principal, death in session.execute(
            select(
                DependentLink.dependent_id,
                DependentLink.valid_from,
                DependentLink.valid_to,
                DependentLink.principal_id,
                Person.death_date,
            )
            .join(Person, Person.id == DependentLink.principal_id)
            .where(one_of(session, DependentLink.dependent_id, part))
            .order_by(DependentLink.valid_from.desc())
        ):
            links.setdefault(dep, []).append((start, end, principal, death))
    out: dict[tuple[int, date], tuple[int, date | None]] = {}
    for pid, on in wanted:
        for start, end, principal, death in links.get(pid, []):
            if start <= on and (end is None or on <= end):
                out[(pid, on)] = (principal, death)
                break
    return out


def payees(session: Session, wanted: Iterable[Payee]) -> dict[Payee, PayeeRow]:
    """Name (as the bank shows it), current RIB and death date of persons and providers."""
    people = sorted({p.id for p in wanted if p.kind == PayeeKind.PERSON})
    facilities = sorted({p.id for p in wanted if p.kind == PayeeKind.PROVIDER})
    out: dict[Payee, PayeeRow] = {}
    for part in chunks(people):
        for pid, last, first, rib, death in session.execute(
            select(
                Person.id, Person.last_name, Person.first_name, Person.rib, Person.death_date
            ).where(one_of(session, Person.id, part))
        ):
            out[Payee(PayeeKind.PERSON, pid)] = PayeeRow(f"{last} {first}", rib, death)
    for part in chunks(facilities):
        for pid, name, rib in session.execute(
            select(Provider.id, Provider.name, Provider.rib).where(
                one_of(session, Provider.id, part)
            )
        ):
            out[Payee(PayeeKind.PROVIDER, pid)] = PayeeRow(name, rib, None)
    return out


def _payee_of(kind: str, person_id: int | None, provider_id: int | None) -> Payee:
    if kind == PayeeKind.PERSON:
        assert person_id is not None
        return Payee(PayeeKind.PERSON, person_id)
    assert provider_id is not None
    return Payee(PayeeKind.PROVIDER, provider_id)


def payee_key(row: PaymentTransfer | PaymentItem | PaymentHold) -> Payee:
    return _payee_of(row.payee_kind, row.person_id, row.provider_id)


def rejections(session: Session, wanted: Iterable[Payee]) -> dict[Payee, list[Rejection]]:
    """Transfers the bank rejected, by payee, latest first."""
    wanted = list(wanted)
    out: dict[Payee, list[Rejection]] = {}
    for kind, column in (
        (PayeeKind.PERSON, PaymentTransfer.person_id),
        (PayeeKind.PROVIDER, PaymentTransfer.provider_id),
    ):
        ids = sorted({p.id for p in wanted if p.kind == kind})
        for part in chunks(ids):
            for row in session.execute(
                select(
                    PaymentTransfer.payee_kind,
                    PaymentTransfer.person_id,
                    PaymentTransfer.provider_id,
                    PaymentTransfer.rib,
                    PaymentTransfer.return_code,
                    PaymentTransfer.return_reason,
                    PaymentTransfer.rejected_at,
                )
                .where(
                    PaymentTransfer.status == TransferStatus.REJECTED,
                    PaymentTransfer.payee_kind == kind,
                    one_of(session, column, part),
                )
                .order_by(PaymentTransfer.id.desc())
            ):
                out.setdefault(_payee_of(row[0], row[1], row[2]), []).append(
                    Rejection(row[3], row[4], row[5], row[6])
                )
    return out


def held_since(session: Session, claim_ids: Sequence[int]) -> dict[int, datetime]:
    out: dict[int, datetime] = {}
    for part in chunks(list(claim_ids)):
        out.update(
            session.execute(
                select(PaymentHold.claim_id, PaymentHold.held_since).where(
                    one_of(session, PaymentHold.claim_id, part)
                )
            ).all()
        )
    return out


def delete_holds(session: Session, claim_ids: Sequence[int]) -> None:
    for part in chunks(list(claim_ids)):
        session.execute(
            delete(PaymentHold)
            .where(PaymentHold.claim_id.in_(part))
            .execution_options(synchronize_session=False)
        )


def add_items(session: Session, columns: dict[str, list[Any]], constants: dict[str, Any]) -> None:
    bulk_insert(session, table(PaymentItem), columns, constants)


def add_holds(session: Session, columns: dict[str, list[Any]], constants: dict[str, Any]) -> None:
    bulk_insert(session, table(PaymentHold), columns, constants)


# ---------------------------------------------------------------------------------------
# Forming a batch


@dataclass(frozen=True)
class QueuedItem:
    id: int
    claim_id: int
    payee: Payee
    rib: str
    amount_centimes: int


def unassigned_items(session: Session) -> list[QueuedItem]:
    """Items waiting for a batch, in id order; on PostgreSQL locked, skipping the items a
    concurrent run is forming its batch with."""
    stmt = (
        select(
            PaymentItem.id,
            PaymentItem.claim_id,
            PaymentItem.payee_kind,
            PaymentItem.person_id,
            PaymentItem.provider_id,
            PaymentItem.rib,
            PaymentItem.amo_centimes + PaymentItem.complementary_centimes,
        )
        .where(PaymentItem.transfer_id.is_(None))
        .order_by(PaymentItem.id)
    )
    if _postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return [
        QueuedItem(r[0], r[1], _payee_of(r[2], r[3], r[4]), r[5], r[6])
        for r in session.execute(stmt)
    ]


def add_transfers(
    session: Session, columns: dict[str, list[Any]], constants: dict[str, Any]
) -> dict[str, int]:
    """Insert a batch's transfers; their ids by reference."""
    bulk_insert(session, table(PaymentTransfer), columns, constants)
    refs: dict[str, int] = {}
    for part in chunks(columns["reference"]):
        refs.update(
            session.execute(
                select(PaymentTransfer.reference, PaymentTransfer.id).where(
                    one_of(session, PaymentTransfer.reference, part)
                )
            ).all()
        )
    return refs


# ---------------------------------------------------------------------------------------
# Reading batches, transfers, items and holds


def _page(session: Session, stmt: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def batches(session: Session, *, limit: int, offset: int) -> tuple[list[PaymentBatch], int]:
    return _page(session, select(PaymentBatch).order_by(PaymentBatch.id.desc()), limit, offset)


def batch_by_number(session: Session, number: str, *, lock: bool = False) -> PaymentBatch:
    """The batch; `lock`: for update (its state is about to change)."""
    stmt = select(PaymentBatch).where(PaymentBatch.number == number.strip().upper())
    batch = session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
    if batch is None:
        raise NotFound(f"no payment batch numbered {number}", code="batch_not_found")
    return batch


def transfers_of(
    session: Session, batch_id: int, *, limit: int | None = None, offset: int = 0
) -> tuple[list[PaymentTransfer], int]:
    stmt = (
        select(PaymentTransfer)
        .where(PaymentTransfer.batch_id == batch_id)
        .order_by(PaymentTransfer.id)
    )
    if limit is None:
        rows = list(session.scalars(stmt))
        return rows, len(rows)
    return _page(session, stmt, limit, offset)


def transfer_visible_to(who: Principal | None) -> ColumnElement[bool]:
    """Staff see every transfer; an insured person and a provider the ones paid to them."""
    return scope(
        who,
        PaymentTransfer.person_id,
        lambda provider_id: PaymentTransfer.provider_id == provider_id,
        family=False,
    )


def transfer_by_reference(
    session: Session, reference: str, who: Principal | None = None
) -> PaymentTransfer:
    """The transfer, or NotFound (also when ``who`` may not see it)."""
    transfer = session.scalars(
        select(PaymentTransfer)
        .where(PaymentTransfer.reference == reference.strip().upper(), transfer_visible_to(who))
        .options(selectinload(PaymentTransfer.batch))
    ).one_or_none()
    if transfer is None:
        raise NotFound(f"no transfer with reference {reference}", code="transfer_not_found")
    return transfer


def transfers_of_claim(
    session: Session, claim_id: int, who: Principal | None = None
) -> list[tuple[PaymentTransfer, int]]:
    """The transfers that paid lines of a claim, each with what it paid for the claim (the
    ones ``who`` may see: an insured person the transfers paid to them), oldest first."""
    rows = session.execute(
        select(
            PaymentTransfer,
            func.sum(PaymentItem.amo_centimes + PaymentItem.complementary_centimes),
        )
        .join(PaymentItem, PaymentItem.transfer_id == PaymentTransfer.id)
        .where(PaymentItem.claim_id == claim_id, transfer_visible_to(who))
        .group_by(PaymentTransfer.id)
        .order_by(PaymentTransfer.id)
        .options(selectinload(PaymentTransfer.batch))
    )
    return [(transfer, int(paid or 0)) for transfer, paid in rows]


def transfers_to_person(session: Session, person_id: int, limit: int) -> list[PaymentTransfer]:
    """The latest transfers paid to an insured person, newest first."""
    return list(
        session.scalars(
            select(PaymentTransfer)
            .where(PaymentTransfer.person_id == person_id)
            .order_by(PaymentTransfer.id.desc())
            .limit(limit)
            .options(selectinload(PaymentTransfer.batch))
        )
    )


def transfers_for_update(session: Session, references: Sequence[str]) -> dict[str, PaymentTransfer]:
    """Transfers by reference, locked against a concurrent import (PostgreSQL)."""
    out: dict[str, PaymentTransfer] = {}
    for part in chunks(sorted(set(references))):
        stmt = (
            select(PaymentTransfer)
            .where(one_of(session, PaymentTransfer.reference, part))
            .order_by(PaymentTransfer.id)
            .execution_options(populate_existing=True)
        )
        if _postgres(session):
            stmt = stmt.with_for_update()
        out.update((t.reference, t) for t in session.scalars(stmt))
    return out


def items_of(session: Session, transfer_id: int) -> list[PaymentItem]:
    return list(
        session.scalars(
            select(PaymentItem)
            .where(PaymentItem.transfer_id == transfer_id)
            .order_by(PaymentItem.id)
        )
    )


def return_items(session: Session, transfer_id: int, at: datetime) -> list[int]:
    """Mark a rejected transfer's items returned (their lines may be paid again); the ids
    of their claims."""
    claim_ids = sorted(
        set(
            session.scalars(
                select(PaymentItem.claim_id).where(
                    PaymentItem.transfer_id == transfer_id, PaymentItem.returned_at.is_(None)
                )
            )
        )
    )
    session.execute(
        update(PaymentItem)
        .where(PaymentItem.transfer_id == transfer_id, PaymentItem.returned_at.is_(None))
        .values(returned_at=at)
        .execution_options(synchronize_session=False)
    )
    return claim_ids


def status_counts(session: Session, batch_id: int) -> dict[str, int]:
    return dict(
        session.execute(
            select(PaymentTransfer.status, func.count())
            .where(PaymentTransfer.batch_id == batch_id)
            .group_by(PaymentTransfer.status)
        ).all()
    )


def pending_transfers(session: Session, batch_ids: Sequence[int]) -> dict[int, int]:
    """How many transfers of each batch still wait for the bank."""
    counts = dict.fromkeys(batch_ids, 0)
    for part in chunks(list(batch_ids)):
        counts.update(
            session.execute(
                select(PaymentTransfer.batch_id, func.count())
                .where(
                    PaymentTransfer.batch_id.in_(part),
                    PaymentTransfer.status == TransferStatus.PENDING,
                )
                .group_by(PaymentTransfer.batch_id)
            ).all()
        )
    return counts


def batches_in(session: Session, *states: str) -> list[PaymentBatch]:
    """Batches in these states, oldest first."""
    stmt = select(PaymentBatch).where(PaymentBatch.status.in_(states))
    return list(session.scalars(stmt.order_by(PaymentBatch.id)))


def state_counts(session: Session) -> dict[str, tuple[int, int]]:
    """Per batch state: how many batches and their total in centimes."""
    rows = session.execute(
        select(PaymentBatch.status, func.count(), func.sum(PaymentBatch.total_centimes)).group_by(
            PaymentBatch.status
        )
    ).all()
    return {status: (count, int(total or 0)) for status, count, total in rows}


def claim_ids_of_batch(session: Session, batch_id: int) -> list[int]:
    """The claims paid by the batch's items (not returned by the bank)."""
    stmt = (
        select(PaymentItem.claim_id)
        .join(PaymentTransfer, PaymentTransfer.id == PaymentItem.transfer_id)
        .where(PaymentTransfer.batch_id == batch_id, PaymentItem.returned_at.is_(None))
        .distinct()
    )
    return sorted(session.scalars(stmt))


def claims_of_items(session: Session, items: Sequence[PaymentItem]) -> list[Claim]:
    """The claims the items pay, with patients, lines and providers, in claim order."""
    return by_ids(session, sorted({i.claim_id for i in items}))


@dataclass(frozen=True)
class HeldRow:
    payee: Payee
    reason_code: HoldReason
    detail: str
    claims: int
    amount_centimes: int
    held_since: datetime
    checked_at: datetime


def held(session: Session, *, limit: int, offset: int) -> tuple[list[HeldRow], int]:
    """Held claims grouped by payee and reason, oldest hold first."""
    grouped = (
        select(
            PaymentHold.payee_kind,
            PaymentHold.person_id,
            PaymentHold.provider_id,
            PaymentHold.reason_code,
            func.max(PaymentHold.detail).label("detail"),
            func.count().label("claims"),
            func.sum(PaymentHold.amount_centimes).label("amount"),
            func.min(PaymentHold.held_since).label("since"),
            func.max(PaymentHold.checked_at).label("checked"),
        )
        .group_by(
            PaymentHold.payee_kind,
            PaymentHold.person_id,
            PaymentHold.provider_id,
            PaymentHold.reason_code,
        )
        .subquery()
    )
    total = session.scalar(select(func.count()).select_from(grouped)) or 0
    rows = session.execute(
        select(grouped)
        .order_by(grouped.c.since, grouped.c.payee_kind, grouped.c.person_id, grouped.c.provider_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        HeldRow(_payee_of(r[0], r[1], r[2]), r[3], r[4] or "", r[5], int(r[6] or 0), r[7], r[8])
        for r in rows
    ], total


def payee_labels(session: Session, wanted: Iterable[Payee]) -> dict[Payee, tuple[str, str]]:
    """(identifier, name) of payees: immatriculation or INPE."""
    wanted = list(wanted)
    out: dict[Payee, tuple[str, str]] = {}
    people = sorted({p.id for p in wanted if p.kind == PayeeKind.PERSON})
    facilities = sorted({p.id for p in wanted if p.kind == PayeeKind.PROVIDER})
    for part in chunks(people):
        for pid, number, last, first in session.execute(
            select(Person.id, Person.immatriculation, Person.last_name, Person.first_name).where(
                Person.id.in_(part)
            )
        ):
            out[Payee(PayeeKind.PERSON, pid)] = (number, f"{last} {first}")
    for part in chunks(facilities):
        for pid, inpe, name in session.execute(
            select(Provider.id, Provider.inpe, Provider.name).where(Provider.id.in_(part))
        ):
            out[Payee(PayeeKind.PROVIDER, pid)] = (inpe, name)
    return out
