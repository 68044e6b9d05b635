"""pre-authorisations, ALD exemption requests, notifications outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 03:30:00

Pre-authorisation requests with their planned lines, status events, documents and facility
invoices (each a claim), the effective-dated list of care that needs an authorisation
(filled by `daman init`), ALD/ALC exemption requests with their events and evidence (a
grant is a row of the existing ald_exemptions table), and the notifications outbox.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_status_id", ["status", "id"], unique=False)

    op.create_table(
        "preauth_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("care_kind", sa.String(length=20), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("ald_code", sa.String(length=20), nullable=True),
        sa.Column("diagnosis", sa.Text(), nullable=False),
        sa.Column("notify_email", sa.String(length=254), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("eligibility_reason", sa.String(length=60), nullable=False),
        sa.Column("regime_code", sa.String(length=20), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_seconds", sa.Integer(), nullable=True),
        sa.Column("answered_late", sa.Boolean(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("information_asked", sa.Text(), nullable=False),
        sa.Column("estimate_centimes", sa.Integer(), nullable=False),
        sa.Column("expected_amo_centimes", sa.Integer(), nullable=False),
        sa.Column("expected_patient_centimes", sa.Integer(), nullable=False),
        sa.Column("agreed_amo_centimes", sa.Integer(), nullable=False),
        sa.Column("agreed_patient_centimes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["persons.id"], name=op.f("fk_preauth_requests_patient_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_preauth_requests_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preauth_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_preauth_requests_number")),
    )
    with op.batch_alter_table("preauth_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_preauth_requests_patient", ["patient_id", "planned_start"], unique=False
        )
        batch_op.create_index("ix_preauth_requests_provider", ["provider_id", "id"], unique=False)
        batch_op.create_index("ix_preauth_requests_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "preauth_requirements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("regime_code", sa.String(length=20), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["regime_code"],
            ["regimes.code"],
            name=op.f("fk_preauth_requirements_regime_code_regimes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preauth_requirements")),
        sa.UniqueConstraint("category", "regime_code", "valid_from", name="preauth_requirement"),
    )
    op.create_table(
        "ald_exemption_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("ald_code", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("renews_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_from", sa.Date(), nullable=False),
        sa.Column("icd10", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=True),
        sa.Column("notify_email", sa.String(length=254), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("exemption_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["ald_code"],
            ["ald_diseases.code"],
            name=op.f("fk_ald_exemption_requests_ald_code_ald_diseases"),
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["providers.id"],
            name=op.f("fk_ald_exemption_requests_doctor_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["exemption_id"],
            ["ald_exemptions.id"],
            name=op.f("fk_ald_exemption_requests_exemption_id_ald_exemptions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_ald_exemption_requests_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["renews_id"],
            ["ald_exemptions.id"],
            name=op.f("fk_ald_exemption_requests_renews_id_ald_exemptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ald_exemption_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_ald_exemption_requests_number")),
    )
    with op.batch_alter_table("ald_exemption_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ald_exemption_requests_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index("ix_ald_exemption_requests_status", ["status", "id"], unique=False)

    op.create_table(
        "preauth_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["preauth_requests.id"],
            name=op.f("fk_preauth_documents_request_id_preauth_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preauth_documents")),
        sa.UniqueConstraint("request_id", "sha256", name="preauth_sha256"),
    )
    op.create_table(
        "preauth_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["preauth_requests.id"],
            name=op.f("fk_preauth_events_request_id_preauth_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preauth_events")),
    )
    with op.batch_alter_table("preauth_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_preauth_events_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "preauth_invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_preauth_invoices_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["preauth_requests.id"],
            name=op.f("fk_preauth_invoices_request_id_preauth_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preauth_invoices")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_preauth_invoices_claim_id")),
    )
    with op.batch_alter_table("preauth_invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_preauth_invoices_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "preauth_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("act_key", sa.String(length=20), nullable=True),
        sa.Column("coefficient_milli", sa.Integer(), nullable=True),
        sa.Column("act_code", sa.String(length=40), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("estimate_centimes", sa.Integer(), nullable=False),
        sa.Column("reference_centimes", sa.Integer(), nullable=True),
        sa.Column("base_centimes", sa.Integer(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("expected_amo_centimes", sa.Integer(), nullable=False),
        sa.Column("expected_complementary_centimes", sa.Integer(), nullable=False),
        sa.Column("expected_patient_centimes", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("agreed_quantity", sa.Integer(), nullable=True),
        sa.Column("agreed_base_centimes", sa.Integer(), nullable=True),
        sa.Column("agreed_amo_centimes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["preauth_requests.id"],
            name=op.f("fk_preauth_lines_request_id_preauth_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preauth_lines")),
        sa.UniqueConstraint("request_id", "line_no", name="preauth_line_no"),
    )
    op.create_table(
        "ald_request_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["ald_exemption_requests.id"],
            name=op.f("fk_ald_request_documents_request_id_ald_exemption_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ald_request_documents")),
        sa.UniqueConstraint("request_id", "sha256", name="ald_request_sha256"),
    )
    op.create_table(
        "ald_request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["ald_exemption_requests.id"],
            name=op.f("fk_ald_request_events_request_id_ald_exemption_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ald_request_events")),
    )
    with op.batch_alter_table("ald_request_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ald_request_events_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ald_request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ald_request_events_request_id"))

    op.drop_table("ald_request_events")
    op.drop_table("ald_request_documents")
    op.drop_table("preauth_lines")
    with op.batch_alter_table("preauth_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preauth_invoices_request_id"))

    op.drop_table("preauth_invoices")
    with op.batch_alter_table("preauth_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preauth_events_request_id"))

    op.drop_table("preauth_events")
    op.drop_table("preauth_documents")
    with op.batch_alter_table("ald_exemption_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_ald_exemption_requests_status")
        batch_op.drop_index(batch_op.f("ix_ald_exemption_requests_person_id"))

    op.drop_table("ald_exemption_requests")
    op.drop_table("preauth_requirements")
    with op.batch_alter_table("preauth_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_preauth_requests_status_due")
        batch_op.drop_index("ix_preauth_requests_provider")
        batch_op.drop_index("ix_preauth_requests_patient")

    op.drop_table("preauth_requests")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status_id")

    op.drop_table("notifications")
