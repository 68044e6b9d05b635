"""unused decision index: line_decisions are read by line, never by claim

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 00:00:00

``ix_line_decisions_claim_id`` served no query (decisions are read by line,
``ix_line_decisions_line``) and cost an index entry for every decision a batch inserts.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_line_decisions_claim_id", table_name="line_decisions")


def downgrade() -> None:
    op.create_index("ix_line_decisions_claim_id", "line_decisions", ["claim_id"])
