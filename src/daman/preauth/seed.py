"""The default list of care that needs a prior authorisation (rules.md section 4), loaded
by `daman init` from data/requirements.csv. Idempotent: a row whose (category, regime,
valid_from) is already there is left as it is, so an administrator's changes stay."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.core.enums import CareCategory
from daman.preauth.models import PreauthRequirement

DATA = Path(__file__).resolve().parent / "data" / "requirements.csv"
ACTOR = "system:seed"


def load_requirements(session: Session, path: Path = DATA) -> int:
    """Add the rows of the file that are not in the table yet; how many were added."""
    known = {
        (r.category, r.regime_code, r.valid_from)
        for r in session.scalars(select(PreauthRequirement))
    }
    added = 0
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            key = (
                CareCategory(row["category"].strip()),
                row["regime_code"].strip() or None,
                date.fromisoformat(row["valid_from"]),
            )
            if key in known:
                continue
            session.add(
                PreauthRequirement(
                    category=key[0],
                    regime_code=key[1],
                    valid_from=key[2],
                    valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                    source=row["source"],
                    confidence=row["confidence"],
                    created_by=ACTOR,
                    updated_by=ACTOR,
                )
            )
            known.add(key)
            added += 1
    session.flush()
    return added
