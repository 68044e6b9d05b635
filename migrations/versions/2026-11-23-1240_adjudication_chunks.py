"""adjudication chunks: the shares of a batch that workers on any machine lock and value

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adjudication_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("claim_ids", sa.JSON(), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_by", sa.String(length=120), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=120), nullable=True),
        sa.Column("valued", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjudication_chunks")),
    )
    op.create_index(
        "ix_adjudication_chunks_open", "adjudication_chunks", ["done_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_adjudication_chunks_open", table_name="adjudication_chunks")
    op.drop_table("adjudication_chunks")
