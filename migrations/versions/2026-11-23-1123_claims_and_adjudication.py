"""claims and adjudication: claims, lines, documents, status history, line decisions,
review queue, and the effective-dated policy and ceilings seeded with rules.md's defaults

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:23:05.086062
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adjudication_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("filing_deadline_days", sa.Integer(), nullable=False),
        sa.Column("late_policy", sa.String(length=10), nullable=False),
        sa.Column("late_penalty_bp", sa.Integer(), nullable=False),
        sa.Column("review_threshold_centimes", sa.Integer(), nullable=False),
        sa.Column("max_line_quantity", sa.Integer(), nullable=False),
        sa.Column("document_categories", sa.String(length=300), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "late_policy IN ('reject', 'penalty')",
            name=op.f("ck_adjudication_policies_late_policy"),
        ),
        sa.CheckConstraint(
            "filing_deadline_days > 0", name=op.f("ck_adjudication_policies_deadline_positive")
        ),
        sa.CheckConstraint(
            "max_line_quantity >= 1", name=op.f("ck_adjudication_policies_max_quantity_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjudication_policies")),
    )
    op.create_table(
        "ceilings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("regime_code", sa.String(length=20), nullable=True),
        sa.Column("max_base_centimes", sa.Integer(), nullable=True),
        sa.Column("max_quantity", sa.Integer(), nullable=True),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "max_base_centimes IS NOT NULL OR max_quantity IS NOT NULL",
            name=op.f("ck_ceilings_some_limit"),
        ),
        sa.CheckConstraint("period_days > 0", name=op.f("ck_ceilings_period_positive")),
        sa.ForeignKeyConstraint(
            ["regime_code"], ["regimes.code"], name=op.f("fk_ceilings_regime_code_regimes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ceilings")),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("deposit_date", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("continuous_end", sa.Date(), nullable=True),
        sa.Column("ald_code", sa.String(length=20), nullable=True),
        sa.Column("regime_code", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("charged_centimes", sa.Integer(), nullable=False),
        sa.Column("base_centimes", sa.Integer(), nullable=False),
        sa.Column("amo_centimes", sa.Integer(), nullable=False),
        sa.Column("complementary_centimes", sa.Integer(), nullable=False),
        sa.Column("patient_centimes", sa.Integer(), nullable=False),
        sa.Column("adjudicated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitter", sa.String(length=120), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["persons.id"], name=op.f("fk_claims_patient_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("number", name=op.f("uq_claims_number")),
        sa.UniqueConstraint("submitter", "idempotency_key", name="submitter_idempotency_key"),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index("ix_claims_patient", ["patient_id", "deposit_date"], unique=False)
        batch_op.create_index("ix_claims_status_id", ["status", "id"], unique=False)

    op.create_table(
        "claim_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_documents_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_documents")),
        sa.UniqueConstraint("claim_id", "sha256", name="claim_sha256"),
    )
    op.create_table(
        "claim_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("care_date", sa.Date(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("prescriber_id", sa.Integer(), nullable=True),
        sa.Column("prescription_date", sa.Date(), nullable=True),
        sa.Column("act_key", sa.String(length=20), nullable=True),
        sa.Column("coefficient_milli", sa.Integer(), nullable=True),
        sa.Column("act_code", sa.String(length=40), nullable=True),
        sa.Column("drug_code", sa.String(length=13), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("charged_centimes", sa.Integer(), nullable=False),
        sa.Column("ald_code", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("reference_centimes", sa.Integer(), nullable=True),
        sa.Column("base_centimes", sa.Integer(), nullable=True),
        sa.Column("rate_bp", sa.Integer(), nullable=True),
        sa.Column("amo_centimes", sa.Integer(), nullable=True),
        sa.Column("complementary_centimes", sa.Integer(), nullable=True),
        sa.Column("patient_centimes", sa.Integer(), nullable=True),
        sa.Column("allowed_quantity", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_lines_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["prescriber_id"], ["providers.id"], name=op.f("fk_claim_lines_prescriber_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_claim_lines_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_lines")),
        sa.UniqueConstraint("claim_id", "line_no", name="claim_line_no"),
    )
    op.create_table(
        "claim_status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_status_events_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_status_events")),
    )
    with op.batch_alter_table("claim_status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_status_events_claim_id"), ["claim_id"], unique=False
        )

    op.create_table(
        "line_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reference_centimes", sa.Integer(), nullable=True),
        sa.Column("base_centimes", sa.Integer(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("amo_centimes", sa.Integer(), nullable=False),
        sa.Column("complementary_centimes", sa.Integer(), nullable=False),
        sa.Column("patient_centimes", sa.Integer(), nullable=False),
        sa.Column("allowed_quantity", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_line_decisions_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["claim_lines.id"], name=op.f("fk_line_decisions_line_id_claim_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_decisions")),
    )
    with op.batch_alter_table("line_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_decisions_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index("ix_line_decisions_line", ["line_id", "id"], unique=False)

    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("assigned_to", sa.String(length=120), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_review_items_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["claim_lines.id"], name=op.f("fk_review_items_line_id_claim_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
    )
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_items_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_items_line_id"), ["line_id"], unique=False)
        batch_op.create_index("ix_review_items_open", ["decided_at", "id"], unique=False)

    _seed()


def _tracked() -> list[sa.ColumnClause[object]]:
    return [
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("created_by", sa.String),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("updated_by", sa.String),
    ]


def _seed() -> None:
    """The defaults of rules.md, as rows the fund edits (never constants in code)."""
    at = datetime.now(UTC)
    stamp = {
        "created_at": at,
        "created_by": "migration",
        "updated_at": at,
        "updated_by": "migration",
    }
    policies = sa.table(
        "adjudication_policies",
        sa.column("valid_from", sa.Date),
        sa.column("valid_to", sa.Date),
        sa.column("filing_deadline_days", sa.Integer),
        sa.column("late_policy", sa.String),
        sa.column("late_penalty_bp", sa.Integer),
        sa.column("review_threshold_centimes", sa.Integer),
        sa.column("max_line_quantity", sa.Integer),
        sa.column("document_categories", sa.String),
        sa.column("source", sa.Text),
        sa.column("confidence", sa.String),
        *_tracked(),
    )
    op.bulk_insert(
        policies,
        [
            {
                "valid_from": date(2005, 9, 1),
                "valid_to": None,
                "filing_deadline_days": 60,
                "late_policy": "reject",
                "late_penalty_bp": 500,
                "review_threshold_centimes": 500_000,
                "max_line_quantity": 99,
                "document_categories": "hospitalisation,dental_prosthesis,optical,device",
                "source": (
                    "rules.md section 3: claims filed within 60 days of the first act (or of "
                    "the end of a continuous treatment), late claims rejected (H); the graduated "
                    "5 %/month penalty is unconfirmed and off. ASSUMPTION: lines with a base "
                    "above 5,000 MAD go to review, a line holds at most 99 units, and "
                    "hospital, prosthesis, optical and device lines wait for a supporting "
                    "document; replace with the fund's figures"
                ),
                "confidence": "H",
                **stamp,
            }
        ],
    )
    ceilings = sa.table(
        "ceilings",
        sa.column("category", sa.String),
        sa.column("regime_code", sa.String),
        sa.column("max_base_centimes", sa.Integer),
        sa.column("max_quantity", sa.Integer),
        sa.column("period_days", sa.Integer),
        sa.column("valid_from", sa.Date),
        sa.column("valid_to", sa.Date),
        sa.column("source", sa.Text),
        sa.column("confidence", sa.String),
        *_tracked(),
    )
    op.bulk_insert(
        ceilings,
        [
            {
                "category": "dental_prosthesis",
                "regime_code": None,
                "max_base_centimes": 300_000,
                "max_quantity": None,
                "period_days": 730,
                "valid_from": date(2006, 1, 1),
                "valid_to": None,
                "source": "rules.md section 2: dental prosthesis ceiling 3,000 MAD of base per 2 years (M)",
                "confidence": "M",
                **stamp,
            },
            {
                "category": "optical",
                "regime_code": None,
                "max_base_centimes": None,
                "max_quantity": 1,
                "period_days": 730,
                "valid_from": date(2006, 1, 1),
                "valid_to": None,
                "source": (
                    "ASSUMPTION: one pair of glasses (one optical line of quantity 1) per 2 "
                    "years; the fund's real period is unknown, replace it"
                ),
                "confidence": "assumption",
                **stamp,
            },
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.drop_index("ix_review_items_open")
        batch_op.drop_index(batch_op.f("ix_review_items_line_id"))
        batch_op.drop_index(batch_op.f("ix_review_items_claim_id"))

    op.drop_table("review_items")
    with op.batch_alter_table("line_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_line_decisions_line")
        batch_op.drop_index(batch_op.f("ix_line_decisions_claim_id"))

    op.drop_table("line_decisions")
    with op.batch_alter_table("claim_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_status_events_claim_id"))

    op.drop_table("claim_status_events")
    op.drop_table("claim_lines")
    op.drop_table("claim_documents")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_status_id")
        batch_op.drop_index("ix_claims_patient")

    op.drop_table("claims")
    op.drop_table("ceilings")
    op.drop_table("adjudication_policies")
