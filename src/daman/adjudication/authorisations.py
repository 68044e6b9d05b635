"""What the adjudication engine needs from pre-authorisations, as frames of its contract
(daman.adjudication.frames REQUIREMENTS and AUTHORISATIONS). Called by
adjudication/context.py for every batch; a fixed number of queries.

What an authorisation still leaves is the agreed base and units less those of the lines
of earlier claims it covered (accepted or reduced lines of the same patient, provider,
category and item, within its validity, that the engine marked ``authorised``). Lines of
the claims being valued are `received` and never counted here: the engine adds them up
itself, in claim order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.adjudication import frames as f
from daman.claims.models import Claim, ClaimLine, LineStatus
from daman.claims.repository import chunks, one_of
from daman.preauth.models import AUTHORISING, PreauthLine, PreauthRequest, PreauthRequirement

AUTHORISED = "authorised"


def _frame(rows: Sequence[Sequence[Any]], schema: dict[str, Any]) -> pl.DataFrame:
    if not rows:
        return f.empty(schema)
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def requirements(session: Session) -> pl.DataFrame:
    rows = session.execute(
        select(
            PreauthRequirement.category,
            PreauthRequirement.regime_code,
            PreauthRequirement.valid_from,
            PreauthRequirement.valid_to,
        ).order_by(PreauthRequirement.id)
    ).all()
    return _frame(rows, f.REQUIREMENTS)


def authorisations(
    session: Session, patient_ids: Sequence[int], first: date, last: date
) -> pl.DataFrame:
    """Authorised lines of these patients whose validity meets [first, last]."""
    rows: list[Sequence[Any]] = []
    for part in chunks(sorted(patient_ids)):
        rows += session.execute(
            select(
                PreauthLine.id,
                PreauthRequest.patient_id,
                PreauthRequest.provider_id,
                PreauthLine.category,
                PreauthLine.act_key,
                PreauthRequest.valid_from,
                PreauthRequest.valid_to,
                PreauthLine.rate_bp,
                PreauthLine.agreed_base_centimes,
                PreauthLine.agreed_quantity,
            )
            .join(PreauthRequest, PreauthRequest.id == PreauthLine.request_id)
            .where(
                one_of(session, PreauthRequest.patient_id, part),
                PreauthRequest.status.in_([s.value for s in AUTHORISING]),
                PreauthLine.agreed_quantity > 0,
                PreauthRequest.valid_from <= last,
                PreauthRequest.valid_to >= first,
            )
        ).all()
    if not rows:
        return _frame([], f.AUTHORISATIONS)
    used = _used(session, rows)
    left = [
        (*r[:8], max(0, (r[8] or 0) - used[r[0]][0]), max(0, (r[9] or 0) - used[r[0]][1]))
        for r in rows
    ]
    return _frame(left, f.AUTHORISATIONS)


def _used(session: Session, auths: Sequence[Sequence[Any]]) -> dict[int, tuple[int, int]]:
    """Base and units of earlier accepted lines that each authorised line covered."""
    patients = sorted({r[1] for r in auths})
    first = min(r[5] for r in auths)
    last = max(r[6] for r in auths)
    lines: list[Sequence[Any]] = []
    for part in chunks(patients):
        lines += session.execute(
            select(
                Claim.patient_id,
                ClaimLine.provider_id,
                ClaimLine.category,
                func.coalesce(ClaimLine.drug_code, ClaimLine.act_key),
                ClaimLine.care_date,
                ClaimLine.base_centimes,
                ClaimLine.allowed_quantity,
                ClaimLine.status,
                ClaimLine.reasons,
            )
            .join(Claim, Claim.id == ClaimLine.claim_id)
            .where(
                one_of(session, Claim.patient_id, part),
                ClaimLine.care_date >= first,
                ClaimLine.care_date <= last,
            )
        ).all()
    counted = {LineStatus.ACCEPTED.value, LineStatus.REDUCED.value}
    by_key: dict[tuple[Any, ...], list[Sequence[Any]]] = defaultdict(list)
    for ln in lines:
        if ln[7] in counted and AUTHORISED in (ln[8] or []):
            by_key[(ln[0], ln[1], ln[2])].append(ln)
    used: dict[int, tuple[int, int]] = {}
    for auth_id, patient, provider, category, item, start, end, *_ in auths:
        base = qty = 0
        for ln in by_key.get((patient, provider, category), []):
            if (item is None or item == ln[3]) and start <= ln[4] <= end:
                base += ln[5] or 0
                qty += ln[6] or 0
        used[auth_id] = (base, qty)
    return used
