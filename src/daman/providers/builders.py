"""Test data builders for care providers; other packages' tests import them.

doctor = provider(session)                       # a private general practitioner
pharmacy = provider(session, kind="pharmacy", specialty=None)
"""

from __future__ import annotations

from datetime import date
from itertools import count

from sqlalchemy.orm import Session

from daman.core.enums import ProviderKind, Sector
from daman.core.identifiers import rib_key
from daman.providers.models import Provider

ACTOR = "test"
_serial = count(1)


def provider(
    session: Session,
    *,
    inpe: str | None = None,
    kind: str = ProviderKind.DOCTOR,
    name: str | None = None,
    sector: str = Sector.PRIVATE,
    specialty: str | None = "médecine générale",
    city: str = "Rabat",
    rib: str | None = "auto",
    valid_from: date = date(2000, 1, 1),
    valid_to: date | None = None,
) -> Provider:
    """A valid provider with a unique INPE and a RIB whose key checks."""
    n = next(_serial)
    first22 = f"011810{n:016d}"
    row = Provider(
        inpe=inpe or f"T{n:09d}",
        kind=kind,
        name=name or f"{kind.capitalize()} {n}",
        sector=sector,
        specialty=specialty,
        city=city,
        rib=first22 + rib_key(first22) if rib == "auto" else rib,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=ACTOR,
        updated_by=ACTOR,
    )
    session.add(row)
    session.flush()
    return row
