"""Every query of the providers domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from daman.core.dates import covers
from daman.core.enums import ProviderKind, Sector
from daman.providers.models import Provider


def by_inpe(session: Session, inpe: str) -> Provider | None:
    return session.scalar(select(Provider).where(Provider.inpe == inpe.strip()))


def ids_by_inpe(session: Session, inpes: Iterable[str]) -> dict[str, int]:
    """INPE -> provider id for the INPEs known (in chunks of 5,000)."""
    wanted = sorted({i.strip() for i in inpes})
    out: dict[str, int] = {}
    for i in range(0, len(wanted), 5000):
        rows = session.execute(
            select(Provider.inpe, Provider.id).where(Provider.inpe.in_(wanted[i : i + 5000]))
        )
        out.update({inpe: pid for inpe, pid in rows})
    return out


def active_on(provider: Provider, on: date) -> bool:
    return covers(provider.valid_from, provider.valid_to, on)


def search(
    session: Session,
    q: str | None,
    kind: ProviderKind | None,
    sector: Sector | None,
    city: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Provider], int]:
    """Providers matching every word of q (name, INPE, specialty, city) and the filters."""
    stmt = select(Provider)
    for word in (q or "").split():
        w = "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Provider.name).like(w, escape="\\"),
                func.lower(Provider.specialty).like(w, escape="\\"),
                func.lower(Provider.city).like(w, escape="\\"),
                Provider.inpe == word,
            )
        )
    if kind:
        stmt = stmt.where(Provider.kind == kind)
    if sector:
        stmt = stmt.where(Provider.sector == sector)
    if city:
        stmt = stmt.where(func.lower(Provider.city) == city.strip().lower())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Provider.name, Provider.id).limit(limit).offset(offset))
    return list(rows), total


def practising(session: Session, q: str, on: date, limit: int) -> list[Provider]:
    """Providers practising on a date whose INPE starts with q (a range on its unique index,
    alone when digits are typed), or whose name holds every word of q (any case; the names
    are read in full: a fund's providers number in the tens of thousands), by name: what a
    look-up as one types offers."""
    words = q.split()
    if not words:
        return []
    first = words[0]
    inpe = and_(Provider.inpe >= first, Provider.inpe < first[:-1] + chr(ord(first[-1]) + 1))
    names = and_(*(func.lower(Provider.name).contains(w.lower(), autoescape=True) for w in words))
    if len(words) > 1:
        match = names
    elif first.isdigit():  # digits typed: an INPE, which its index finds
        match = inpe
    else:
        match = or_(inpe, names)
    stmt = (
        select(Provider)
        .where(
            match,
            Provider.valid_from <= on,
            or_(Provider.valid_to.is_(None), Provider.valid_to >= on),
        )
        .order_by(Provider.name, Provider.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))
