"""prescriptions: a doctor's electronic prescription, its lines, and the boxes dispensed

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 22:00:00

A prescription (its number printed with a QR code) has lines: a medicine of the list, its
dosage, days and boxes. A pharmacy's dispensing bills boxes on one care sheet; each box is
a row of ``dispensed_boxes`` whose (line, box number) is unique: the database itself
refuses a box dispensed twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tracked() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("prescriber_id", sa.Integer(), nullable=False),
        sa.Column("prescribed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("ald_code", sa.String(20)),
        sa.Column("visit_claim_id", sa.Integer()),
        sa.Column("idempotency_key", sa.String(200)),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["persons.id"], name=op.f("fk_prescriptions_patient_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["prescriber_id"],
            ["providers.id"],
            name=op.f("fk_prescriptions_prescriber_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_claim_id"], ["claims.id"], name=op.f("fk_prescriptions_visit_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescriptions")),
        sa.UniqueConstraint("number", name=op.f("uq_prescriptions_number")),
        sa.UniqueConstraint("created_by", "idempotency_key", name="prescription_idempotency_key"),
    )
    with op.batch_alter_table("prescriptions") as batch:
        batch.create_index("ix_prescriptions_patient", ["patient_id", "prescribed_on"])
        batch.create_index("ix_prescriptions_prescriber", ["prescriber_id", "prescribed_on"])
    op.create_table(
        "prescription_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("dosage", sa.String(200), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column("boxes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "boxes >= 1", name=op.f("ck_prescription_lines_prescription_line_boxes")
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_prescription_lines_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_prescription_lines_drug_id_drugs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescription_lines")),
        sa.UniqueConstraint("prescription_id", "line_no", name="prescription_line_no"),
    )
    op.create_table(
        "dispensings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("claim_number", sa.String(12), nullable=False),
        sa.Column("pharmacy_id", sa.Integer(), nullable=False),
        sa.Column("third_party", sa.Boolean(), nullable=False),
        sa.Column("dispensed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispensed_by", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_dispensings_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_dispensings_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["pharmacy_id"], ["providers.id"], name=op.f("fk_dispensings_pharmacy_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispensings")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_dispensings_claim_id")),
    )
    with op.batch_alter_table("dispensings") as batch:
        batch.create_index("ix_dispensings_prescription_id", ["prescription_id"])
    op.create_table(
        "dispensed_boxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispensing_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("box_no", sa.Integer(), nullable=False),
        sa.Column("ean", sa.String(13), nullable=False),
        sa.Column("claim_line_no", sa.Integer(), nullable=False),
        sa.CheckConstraint("box_no >= 1", name=op.f("ck_dispensed_boxes_dispensed_box_no")),
        sa.ForeignKeyConstraint(
            ["dispensing_id"],
            ["dispensings.id"],
            name=op.f("fk_dispensed_boxes_dispensing_id_dispensings"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["prescription_lines.id"],
            name=op.f("fk_dispensed_boxes_line_id_prescription_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispensed_boxes")),
        # a box (a line of the prescription and its box number) is dispensed once
        sa.UniqueConstraint("line_id", "box_no", name="prescription_box_once"),
    )
    with op.batch_alter_table("dispensed_boxes") as batch:
        batch.create_index("ix_dispensed_boxes_dispensing_id", ["dispensing_id"])


def downgrade() -> None:
    op.drop_table("dispensed_boxes")
    op.drop_table("dispensings")
    op.drop_table("prescription_lines")
    op.drop_table("prescriptions")
