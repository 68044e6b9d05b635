"""Every query of the portal: its own tables, and the reads it makes of the claims' status
history (how long claims took to be paid lately; the decisions not yet told)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from daman.claims.models import Claim, ClaimStatusEvent
from daman.portal.models import DecisionRead, Message, NoticeMark

# -- claims ------------------------------------------------------------------------------


def claim_ids(session: Session, numbers: Sequence[str]) -> dict[str, int]:
    """Claim id by number, for the numbers of a page (a few dozen)."""
    if not numbers:
        return {}
    rows = session.execute(select(Claim.number, Claim.id).where(Claim.number.in_(set(numbers))))
    return {number: claim_id for number, claim_id in rows}


# -- messages ----------------------------------------------------------------------------


def thread(session: Session, person_id: int, limit: int) -> list[Message]:
    """The latest ``limit`` messages of a person's thread, oldest first."""
    rows = session.scalars(
        select(Message)
        .where(Message.person_id == person_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


def unread(session: Session, person_id: int, *, from_fund: bool) -> int:
    """Messages of the thread written by the fund (or by the person) not read yet."""
    count = session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.person_id == person_id,
            Message.from_fund.is_(from_fund),
            Message.read_at.is_(None),
        )
    )
    return int(count or 0)


def mark_read(session: Session, person_id: int, *, from_fund: bool, at: datetime) -> None:
    session.execute(
        update(Message)
        .where(
            Message.person_id == person_id,
            Message.from_fund.is_(from_fund),
            Message.read_at.is_(None),
        )
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )


# -- decisions read ----------------------------------------------------------------------


def decision_read(
    session: Session, claim_id: int, person_id: int, event_id: int
) -> DecisionRead | None:
    return session.scalars(
        select(DecisionRead).where(
            DecisionRead.claim_id == claim_id,
            DecisionRead.person_id == person_id,
            DecisionRead.event_id == event_id,
        )
    ).first()


def reads_by(session: Session, person_id: int, limit: int) -> list[tuple[DecisionRead, str]]:
    """The latest decisions a person opened in the portal, each with its claim's number."""
    rows = session.execute(
        select(DecisionRead, Claim.number)
        .join(Claim, Claim.id == DecisionRead.claim_id)
        .where(DecisionRead.person_id == person_id)
        .order_by(DecisionRead.id.desc())
        .limit(limit)
    )
    return [(read, number) for read, number in rows]


# -- how long claims take ----------------------------------------------------------------


def days_to_paid(session: Session, from_status: str, sample: int) -> list[float]:
    """For the latest ``sample`` claims paid: days from reaching ``from_status`` to paid
    (the primary key read backwards, then each claim's history by its index)."""
    paid = aliased(ClaimStatusEvent)
    stage = aliased(ClaimStatusEvent)
    latest = (
        select(paid.claim_id, paid.at)
        .where(paid.to_status == "paid")
        .order_by(paid.id.desc())
        .limit(sample)
        .subquery()
    )
    rows = session.execute(
        select(func.min(stage.at), latest.c.at)
        .join(latest, latest.c.claim_id == stage.claim_id)
        .where(stage.to_status == from_status)
        .group_by(stage.claim_id, latest.c.at)
    )
    return [(done - begun).total_seconds() / 86400 for begun, done in rows if begun and done]


# -- decisions told ----------------------------------------------------------------------


def notice_mark(session: Session, name: str) -> tuple[NoticeMark, bool]:
    """The mark of how far the status events were read, locked; made on first use at the
    latest event (True: made now), so that turning notices on tells no old decision."""
    stmt = select(NoticeMark).where(NoticeMark.name == name)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    mark = session.scalars(stmt).first()
    if mark is not None:
        return mark, False
    latest = session.scalar(select(func.max(ClaimStatusEvent.id)))
    mark = NoticeMark(name=name, last_event_id=latest or 0)
    session.add(mark)
    session.flush()
    return mark, True


def events_after(
    session: Session, after_id: int, limit: int
) -> list[tuple[ClaimStatusEvent, Claim]]:
    """The claims' status events after ``after_id``, in order, each with its claim."""
    rows = session.execute(
        select(ClaimStatusEvent, Claim)
        .join(Claim, Claim.id == ClaimStatusEvent.claim_id)
        .where(ClaimStatusEvent.id > after_id)
        .order_by(ClaimStatusEvent.id)
        .limit(limit)
    )
    return [(event, claim) for event, claim in rows]
