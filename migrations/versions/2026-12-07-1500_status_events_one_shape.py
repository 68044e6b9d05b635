"""status events: one shape for claims, pre-authorisations and exemption requests

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 15:00:00

The three history tables share one mixin (core.db.StatusEvent); the exemption requests'
status columns were 12 characters where the others are 20.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ald_request_events") as batch:
        for column in ("from_status", "to_status"):
            batch.alter_column(column, type_=sa.String(20), existing_type=sa.String(12))


def downgrade() -> None:
    with op.batch_alter_table("ald_request_events") as batch:
        for column in ("from_status", "to_status"):
            batch.alter_column(column, type_=sa.String(12), existing_type=sa.String(20))
