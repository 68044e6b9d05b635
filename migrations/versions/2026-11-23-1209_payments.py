"""payments: batches of credit transfers, the claim lines they pay (each line at most once
while the bank has not returned it), holds of payees that cannot be paid, bank returns;
and the counter batch numbers are issued from (seeded, so that two first runs never race
to create it)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:09:22.629802
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.Integer))


def upgrade() -> None:
    op.create_table(
        "payment_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("execution_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("transfers_count", sa.Integer(), nullable=False),
        sa.Column("items_count", sa.Integer(), nullable=False),
        sa.Column("total_centimes", sa.BigInteger(), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exported_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_batches")),
        sa.UniqueConstraint("number", name=op.f("uq_payment_batches_number")),
    )
    op.create_table(
        "payment_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=12), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=True),
        sa.Column("settled", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_returns")),
    )
    with op.batch_alter_table("payment_returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_returns_sha256"), ["sha256"], unique=False)

    op.create_table(
        "payment_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("payee_kind", sa.String(length=10), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("creditor_name", sa.String(length=140), nullable=False),
        sa.Column("rib", sa.String(length=24), nullable=False),
        sa.Column("amount_centimes", sa.BigInteger(), nullable=False),
        sa.Column("items_count", sa.Integer(), nullable=False),
        sa.Column("claims_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_code", sa.String(length=35), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("return_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "(payee_kind = 'person' AND person_id IS NOT NULL AND provider_id IS NULL) OR (payee_kind = 'provider' AND provider_id IS NOT NULL AND person_id IS NULL)",
            name=op.f("ck_payment_transfers_one_payee"),
        ),
        sa.CheckConstraint(
            "amount_centimes > 0", name=op.f("ck_payment_transfers_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["payment_batches.id"],
            name=op.f("fk_payment_transfers_batch_id_payment_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_payment_transfers_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_payment_transfers_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["payment_returns.id"],
            name=op.f("fk_payment_transfers_return_id_payment_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_transfers")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_transfers_reference")),
    )
    with op.batch_alter_table("payment_transfers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_transfers_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index("ix_payment_transfers_person", ["person_id"], unique=False)
        batch_op.create_index("ix_payment_transfers_provider", ["provider_id"], unique=False)

    op.create_table(
        "payment_holds",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("payee_kind", sa.String(length=10), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("reason_code", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("amount_centimes", sa.Integer(), nullable=False),
        sa.Column("held_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "(payee_kind = 'person' AND person_id IS NOT NULL AND provider_id IS NULL) OR (payee_kind = 'provider' AND provider_id IS NOT NULL AND person_id IS NULL)",
            name=op.f("ck_payment_holds_one_payee"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_payment_holds_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_payment_holds_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_payment_holds_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_payment_holds")),
    )
    with op.batch_alter_table("payment_holds", schema=None) as batch_op:
        batch_op.create_index("ix_payment_holds_person", ["person_id"], unique=False)
        batch_op.create_index("ix_payment_holds_provider", ["provider_id"], unique=False)

    op.create_table(
        "payment_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("claim_line_id", sa.Integer(), nullable=False),
        sa.Column("payee_kind", sa.String(length=10), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("rib", sa.String(length=24), nullable=False),
        sa.Column("amo_centimes", sa.Integer(), nullable=False),
        sa.Column("complementary_centimes", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(payee_kind = 'person' AND person_id IS NOT NULL AND provider_id IS NULL) OR (payee_kind = 'provider' AND provider_id IS NOT NULL AND person_id IS NULL)",
            name=op.f("ck_payment_items_one_payee"),
        ),
        sa.CheckConstraint(
            "amo_centimes >= 0 AND complementary_centimes >= 0 AND amo_centimes + complementary_centimes > 0",
            name=op.f("ck_payment_items_amount_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_payment_items_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["claim_line_id"],
            ["claim_lines.id"],
            name=op.f("fk_payment_items_claim_line_id_claim_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_payment_items_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_payment_items_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["payment_transfers.id"],
            name=op.f("fk_payment_items_transfer_id_payment_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_items")),
    )
    with op.batch_alter_table("payment_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_items_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payment_items_transfer_id"), ["transfer_id"], unique=False
        )
        batch_op.create_index(
            "ix_payment_items_unassigned",
            ["id"],
            unique=False,
            postgresql_where=sa.text("transfer_id IS NULL"),
            sqlite_where=sa.text("transfer_id IS NULL"),
        )
        batch_op.create_index(
            "uq_payment_items_line_unreturned",
            ["claim_line_id"],
            unique=True,
            postgresql_where=sa.text("returned_at IS NULL"),
            sqlite_where=sa.text("returned_at IS NULL"),
        )

    op.bulk_insert(counters, [{"name": "payment_batch", "value": 0}])


def downgrade() -> None:
    op.execute(counters.delete().where(counters.c.name == "payment_batch"))
    with op.batch_alter_table("payment_items", schema=None) as batch_op:
        batch_op.drop_index("uq_payment_items_line_unreturned")
        batch_op.drop_index("ix_payment_items_unassigned")
        batch_op.drop_index(batch_op.f("ix_payment_items_transfer_id"))
        batch_op.drop_index(batch_op.f("ix_payment_items_claim_id"))

    op.drop_table("payment_items")
    with op.batch_alter_table("payment_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_holds_provider")
        batch_op.drop_index("ix_payment_holds_person")

    op.drop_table("payment_holds")
    with op.batch_alter_table("payment_transfers", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_transfers_provider")
        batch_op.drop_index("ix_payment_transfers_person")
        batch_op.drop_index(batch_op.f("ix_payment_transfers_batch_id"))

    op.drop_table("payment_transfers")
    with op.batch_alter_table("payment_returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_returns_sha256"))

    op.drop_table("payment_returns")
    op.drop_table("payment_batches")
