"""Every query of the notifications outbox."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.notifications.models import Notification, NotificationStatus


def next_pending(session: Session, after_id: int) -> Notification | None:
    """The next pending message after `after_id`, locked; on PostgreSQL a message another
    delivery run holds is skipped, so two runs never send the same message."""
    stmt = (
        select(Notification)
        .where(Notification.status == NotificationStatus.PENDING, Notification.id > after_id)
        .order_by(Notification.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Notification.status, func.count()).group_by(Notification.status)
    ).all()
    return {status: n for status, n in rows}
