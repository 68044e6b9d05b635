"""Default reference data (rules.md), loaded by `daman init`. Filled in by the reference work."""

from sqlalchemy.orm import Session


def load_defaults(session: Session | None = None) -> dict[str, int]:
    return {}
