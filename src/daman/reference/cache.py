"""Reference data kept per process for as long as it is current.

Tariffs, drug prices, rates, ceilings, policies, authorisation requirements and code lists
change when an administrator changes them, and are read for every claim. A process keeps
what it derives from them (frames, sets, plain rows) under the stamp of the reference data
it read: the one row of ``reference_version``, which a trigger gives a new random value on
every write to a reference table, in the writer's transaction (models.REFERENCE_TABLES,
migration 0018). A reader asks for the stamp (one indexed read) and is given what was
derived under that stamp, or derives it again:

    ref = cache.current(session)      # reads the stamp
    tariffs = ref.get(load_tariffs)   # load_tariffs(session): once per stamp and database

A change is seen by the first reader after its commit, and by its own transaction at once;
nothing is re-read per claim, nothing stale is used. The stamp is read before the data, so
what is kept under a stamp is never older than it. What is kept must not belong to a
session: plain rows, frames, sets, frozen dataclasses, never ORM instances.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.reference.models import ReferenceVersion

T = TypeVar("T")
Loader = Callable[[Session], T]

# loader -> ((database, stamp), what it gave): the latest only, per loader
_kept: dict[Callable[[Session], Any], tuple[tuple[str, int], Any]] = {}


def stamp(session: Session) -> int:
    """The current stamp of the reference data, as this transaction sees it."""
    found = session.execute(
        select(ReferenceVersion.version).where(ReferenceVersion.id == 1)
    ).scalar()
    return int(found or 0)


def _database(session: Session) -> str:
    bind = session.get_bind()
    return bind.engine.url.render_as_string(hide_password=True)


class Reference:
    """The reference data at one stamp, for the session that read it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.key = (_database(session), stamp(session))

    def get(self, load: Loader[T]) -> T:
        """What ``load(session)`` gives at this stamp: kept from an earlier call, or loaded
        now and kept."""
        kept = _kept.get(load)
        if kept is not None and kept[0] == self.key:
            return cast(T, kept[1])
        value = load(self.session)
        _kept[load] = (self.key, value)
        return value


def current(session: Session) -> Reference:
    return Reference(session)


def forget() -> None:
    """Drop everything kept (tests that rebuild a database under the same name)."""
    _kept.clear()
