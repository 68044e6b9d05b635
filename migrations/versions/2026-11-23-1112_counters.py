"""seed the counters Daman issues numbers from

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:12:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.Integer))


def upgrade() -> None:
    op.bulk_insert(
        counters, [{"name": "immatriculation", "value": 0}, {"name": "claim", "value": 0}]
    )


def downgrade() -> None:
    op.execute(counters.delete())
