"""What a care provider reads of its payments: the transfers the fund made to it, newest
first, each with its remittance advice (documents.remittance). Scoped by
repository.transfer_visible_to: a provider sees only the transfers paid to it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from daman.auth.access import Principal
from daman.payments.models import PaymentTransfer, TransferStatus, shown_status
from daman.payments.repository import transfer_visible_to


def transfers_to_provider(
    session: Session, who: Principal, *, limit: int, offset: int = 0
) -> tuple[list[tuple[PaymentTransfer, TransferStatus]], int]:
    """The transfers paid to the provider ``who`` acts for (none for anyone else), newest
    first, each with its status as shown, and how many there are."""
    if who.provider_id is None:
        return [], 0
    where = (PaymentTransfer.provider_id == who.provider_id, transfer_visible_to(who))
    total = session.scalar(select(func.count()).select_from(PaymentTransfer).where(*where)) or 0
    rows = session.scalars(
        select(PaymentTransfer)
        .where(*where)
        .order_by(PaymentTransfer.id.desc())
        .limit(limit)
        .offset(offset)
        .options(selectinload(PaymentTransfer.batch))
    )
    return [(t, shown_status(t)) for t in rows], total
