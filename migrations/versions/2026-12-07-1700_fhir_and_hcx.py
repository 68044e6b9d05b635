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
    op.create_table(
        "hcx_partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("callback_url", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "hcx_cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_call_id", sa.String(length=64), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=False),
        sa.Column("workflow_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_api_call_id", sa.String(length=64), nullable=True),
        sa.Column("answer_status", sa.String(length=30), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["hcx_partners.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_call_id"),
    )
    op.create_index("ix_hcx_cycles_correlation_id", "hcx_cycles", ["correlation_id"])
    op.create_index("ix_hcx_cycles_status_next", "hcx_cycles", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_hcx_cycles_status_next", table_name="hcx_cycles")
    op.drop_index("ix_hcx_cycles_correlation_id", table_name="hcx_cycles")
    op.drop_table("hcx_cycles")
    op.drop_table("hcx_partners")
    op.drop_index("ix_fhir_submissions_number", table_name="fhir_submissions")
    op.drop_table("fhir_submissions")
