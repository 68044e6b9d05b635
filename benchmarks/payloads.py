"""Care sheets as the claims API takes them (`POST /api/v1/claims`), drawn with the same
mix as the synthetic days (daman.synth.claims) from the population in the database."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.core.dates import now
from daman.providers.models import Provider
from daman.registry.models import Person
from daman.synth.claim_context import load_context
from daman.synth.claims import LATE_SHARE, ClaimPlan, Line, Sheet
from daman.synth.population import Ids


def sheets(session: Session, count: int, seed: int, day: date) -> list[Sheet]:
    """`count` care sheets deposited on `day` (a duplicate is drawn as a consultation)."""
    plan = ClaimPlan(
        load_context(session, day),
        rng=random.Random(f"{seed}:api"),
        ids=Ids({}),
        numbers=iter(()),
        actor="bench",
        stamp=now(),
    )
    out: list[Sheet] = []
    while len(out) < count:
        late = plan.rng.random() < LATE_SHARE
        sheet = plan.sheet(plan.mix.pick(plan.rng), day, late=late)
        if sheet is None:
            sheet = plan.sheet("consultation", day, late=late)
        if sheet is not None:
            out.append(sheet)
    return out


def _coefficient(milli: int | None) -> str | None:
    return None if milli is None else str(Decimal(milli) / 1000)


def _line(line: Line, inpe: dict[int, str]) -> dict[str, Any]:
    return {
        "category": line.category,
        "care_date": line.care_date.isoformat(),
        "provider_inpe": inpe[line.provider],
        "charged_centimes": line.charged,
        "quantity": line.quantity,
        "act_key": line.act_key,
        "coefficient": _coefficient(line.coefficient_milli),
        "drug_code": line.drug_code,
        "prescriber_inpe": inpe[line.prescriber] if line.prescriber else None,
        "prescription_date": (
            line.prescription_date.isoformat() if line.prescription_date else None
        ),
        "ald_code": line.ald_code,
    }


def api_claims(session: Session, count: int, seed: int, day: date) -> list[dict[str, Any]]:
    """`count` JSON bodies of electronic claims arriving on `day`."""
    drawn = sheets(session, count, seed, day)
    inpe = dict(session.execute(select(Provider.id, Provider.inpe)).all())
    patients = sorted({s.patient for s in drawn})
    immat: dict[int, str] = {}
    for start in range(0, len(patients), 5000):
        part = patients[start : start + 5000]
        immat.update(
            session.execute(
                select(Person.id, Person.immatriculation).where(Person.id.in_(part))
            ).all()
        )
    return [
        {
            "patient": immat[s.patient],
            "channel": "electronic",
            "ald_code": s.ald_code,
            "lines": [_line(line, inpe) for line in s.lines],
        }
        for s in drawn
    ]
