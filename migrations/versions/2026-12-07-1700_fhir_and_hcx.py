"""FHIR submissions; HCX partners and exchange cycles

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:00:00

fhir_submissions: each Claim sent through FHIR by its identifier, and what it became (an
idempotent resubmission answers the same ClaimResponse). hcx_partners: the partners an
administrator registered (participant code, public key, callback URL, the provider whose
API keys they call with). hcx_cycles: one row per asynchronous call, from receipt to the
acknowledged callback.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fhir_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submitter", sa.String(length=120), nullable=False),
        sa.Column("identifier", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submitter", "identifier", name="fhir_submitter_identifier"),
    )
    op.create_index("ix_fhir_submissions_number", "fhir_submissions", ["number"])


def downgrade() -> None:
    op.drop_index("ix_fhir_submissions_number", table_name="fhir_submissions")
    op.drop_table("fhir_submissions")
