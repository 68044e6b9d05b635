"""Test and demo builders: store claims `received` from payloads, in bulk.

    claims = received(session, [payload, ...], actor="synth")

Each payload is the JSON `POST /api/v1/claims` takes (a dict or a ClaimIn). The claims
are checked like at the door (ValidationFailed names the payload index and field) and
stored in one flush, ready for `adjudicate_claims` or `daman adjudicate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from daman.claims import intake
from daman.claims.models import Channel, Claim
from daman.claims.schemas import ClaimIn
from daman.core.dates import today
from daman.core.errors import FieldError, ValidationFailed


def received(
    session: Session,
    payloads: Sequence[Mapping[str, Any] | ClaimIn],
    *,
    actor: str = "test",
    channel: Channel | None = None,
) -> list[Claim]:
    drafts = [p if isinstance(p, ClaimIn) else ClaimIn.model_validate(p) for p in payloads]
    lk = intake.lookups(session, drafts)
    day = today()
    errors = [
        FieldError(field=f"[{i}].{e.field}", reason=e.reason)
        for i, d in enumerate(drafts)
        for e in intake.problems(d, lk, day)
    ]
    if errors:
        raise ValidationFailed(errors)
    return intake.store(
        session, [(d, None) for d in drafts], lk, submitter=actor, actor=actor, channel=channel
    )
