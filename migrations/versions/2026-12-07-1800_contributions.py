"""contributions: payers' accounts, calls and their lines, the ledger, the collection

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:00:00

The rules of what members owe, as effective-dated reference data (contribution_rates,
tns_reference_incomes, tns_categories, chamil_bands, collection_rules: seeded by `daman
init` from reference/data); the ledger (payer_accounts, contribution_calls, call_lines,
call_events, ledger_entries, receipts, allocations), read by the rights; and the
collection's tables (employer_users, member_categories, declarations, mandates,
collection_runs, collection_items, contribution_imports). Only new tables: nothing that
exists changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit keys on PostgreSQL; SQLite autoincrements only an INTEGER PRIMARY KEY
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "chamil_bands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rsu_above", sa.String(length=20), nullable=False),
        sa.Column("rsu_up_to", sa.String(length=20), nullable=True),
        sa.Column("amount_centimes", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chamil_bands")),
    )
    op.create_table(
        "collection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=35), nullable=False),
        sa.Column("collection_date", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("total_centimes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_runs")),
        sa.UniqueConstraint("number", name=op.f("uq_collection_runs_number")),
    )
    op.create_table(
        "contribution_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=140), nullable=True),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("unidentified", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("ignored", sa.Integer(), nullable=False),
        sa.Column("total_centimes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_imports")),
        sa.UniqueConstraint("kind", "sha256", name="kind_sha256"),
    )
    op.create_table(
        "tns_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("label_ar", sa.Text(), nullable=False),
        sa.Column("multiple_milli", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint("multiple_milli > 0", name=op.f("ck_tns_categories_multiple_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tns_categories")),
    )
    with op.batch_alter_table("tns_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tns_categories_code"), ["code"], unique=False)

    op.create_table(
        "tns_reference_incomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("amount_centimes", sa.Integer(), nullable=False),
        sa.Column("income_rounding", sa.String(length=10), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tns_reference_incomes")),
    )
    op.create_table(
        "collection_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regime_code", sa.String(length=20), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("due_month_offset", sa.Integer(), nullable=False),
        sa.Column("first_month_penalty_bp", sa.Integer(), nullable=False),
        sa.Column("further_month_penalty_bp", sa.Integer(), nullable=False),
        sa.Column("rounding", sa.String(length=10), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "due_day BETWEEN 1 AND 31", name=op.f("ck_collection_rules_due_day_range")
        ),
        sa.CheckConstraint(
            "due_month_offset BETWEEN 0 AND 12", name=op.f("ck_collection_rules_due_offset_range")
        ),
        sa.CheckConstraint(
            "first_month_penalty_bp BETWEEN 0 AND 10000 AND further_month_penalty_bp BETWEEN 0 AND 10000",
            name=op.f("ck_collection_rules_penalty_range"),
        ),
        sa.ForeignKeyConstraint(
            ["regime_code"], ["regimes.code"], name=op.f("fk_collection_rules_regime_code_regimes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_rules")),
    )
    with op.batch_alter_table("collection_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_rules_regime_code"), ["regime_code"], unique=False
        )

    op.create_table(
        "contribution_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regime_code", sa.String(length=20), nullable=False),
        sa.Column("member_kind", sa.String(length=20), nullable=False),
        sa.Column("member_bp", sa.Integer(), nullable=False),
        sa.Column("employer_bp", sa.Integer(), nullable=False),
        sa.Column("solidarity_bp", sa.Integer(), nullable=False),
        sa.Column("share_min_centimes", sa.Integer(), nullable=True),
        sa.Column("share_max_centimes", sa.Integer(), nullable=True),
        sa.Column("flat_centimes", sa.Integer(), nullable=True),
        sa.Column("payer", sa.String(length=40), nullable=False),
        sa.Column("base", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "member_bp BETWEEN 0 AND 10000 AND employer_bp BETWEEN 0 AND 10000 AND solidarity_bp BETWEEN 0 AND 10000",
            name=op.f("ck_contribution_rates_rates_range"),
        ),
        sa.CheckConstraint(
            "share_min_centimes IS NULL OR share_max_centimes IS NULL OR share_min_centimes <= share_max_centimes",
            name=op.f("ck_contribution_rates_share_bounds"),
        ),
        sa.ForeignKeyConstraint(
            ["regime_code"],
            ["regimes.code"],
            name=op.f("fk_contribution_rates_regime_code_regimes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_rates")),
    )
    with op.batch_alter_table("contribution_rates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contribution_rates_regime_code"), ["regime_code"], unique=False
        )

    op.create_table(
        "member_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("liaison", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_member_categories_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_categories")),
    )
    with op.batch_alter_table("member_categories", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_categories_person", ["person_id", "valid_from"], unique=False
        )

    op.create_table(
        "payer_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_payer_accounts_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_payer_accounts_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_accounts")),
        sa.UniqueConstraint("employer_id", name=op.f("uq_payer_accounts_employer_id")),
        sa.UniqueConstraint("number", name=op.f("uq_payer_accounts_number")),
        sa.UniqueConstraint("person_id", name=op.f("uq_payer_accounts_person_id")),
    )
    op.create_table(
        "contribution_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("regime_code", sa.String(length=20), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("base_centimes", sa.BigInteger(), nullable=False),
        sa.Column("member_centimes", sa.BigInteger(), nullable=False),
        sa.Column("employer_centimes", sa.BigInteger(), nullable=False),
        sa.Column("solidarity_centimes", sa.BigInteger(), nullable=False),
        sa.Column("total_centimes", sa.BigInteger(), nullable=False),
        sa.Column("member_rate_bp", sa.Integer(), nullable=True),
        sa.Column("employer_rate_bp", sa.Integer(), nullable=True),
        sa.Column("solidarity_rate_bp", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["payer_accounts.id"],
            name=op.f("fk_contribution_calls_account_id_payer_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["regime_code"],
            ["regimes.code"],
            name=op.f("fk_contribution_calls_regime_code_regimes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_calls")),
        sa.UniqueConstraint("account_id", "regime_code", "month", "sequence", name="one_call"),
        sa.UniqueConstraint("number", name=op.f("uq_contribution_calls_number")),
    )
    with op.batch_alter_table("contribution_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contribution_calls_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_contribution_calls_regime_month", ["regime_code", "month"], unique=False
        )
        batch_op.create_index(
            "ix_contribution_calls_status_due", ["status", "due_date"], unique=False
        )

    op.create_table(
        "employer_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_employer_users_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_employer_users_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer_users")),
        sa.UniqueConstraint("user_id", name=op.f("uq_employer_users_user_id")),
    )
    with op.batch_alter_table("employer_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_employer_users_employer_id"), ["employer_id"], unique=False
        )

    op.create_table(
        "mandates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("rib", sa.String(length=24), nullable=False),
        sa.Column("debtor_name", sa.String(length=140), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["payer_accounts.id"],
            name=op.f("fk_mandates_account_id_payer_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandates")),
        sa.UniqueConstraint("reference", name=op.f("uq_mandates_reference")),
    )
    with op.batch_alter_table("mandates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mandates_account_id"), ["account_id"], unique=False)

    op.create_table(
        "receipts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("bank_reference", sa.String(length=140), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=True),
        sa.Column("amount_centimes", sa.BigInteger(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=True),
        sa.Column("payer_name", sa.String(length=140), nullable=False),
        sa.Column("payer_account", sa.String(length=40), nullable=False),
        sa.Column("remittance", sa.Text(), nullable=False),
        sa.Column("matched_by", sa.String(length=20), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["payer_accounts.id"],
            name=op.f("fk_receipts_account_id_payer_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("bank_reference", name=op.f("uq_receipts_bank_reference")),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_receipts_end_to_end_id"), ["end_to_end_id"], unique=False
        )

    op.create_table(
        "call_events",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["contribution_calls.id"],
            name=op.f("fk_call_events_call_id_contribution_calls"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_events")),
    )
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_events_call_id"), ["call_id"], unique=False)

    op.create_table(
        "call_lines",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("days", sa.SmallInteger(), nullable=True),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("base_centimes", sa.BigInteger(), nullable=False),
        sa.Column("member_centimes", sa.BigInteger(), nullable=False),
        sa.Column("employer_centimes", sa.BigInteger(), nullable=False),
        sa.Column("solidarity_centimes", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["contribution_calls.id"],
            name=op.f("fk_call_lines_call_id_contribution_calls"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_call_lines_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_lines")),
        sa.UniqueConstraint("call_id", "person_id", name="person_once"),
    )
    with op.batch_alter_table("call_lines", schema=None) as batch_op:
        batch_op.create_index("ix_call_lines_person_month", ["person_id", "month"], unique=False)

    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_centimes", sa.BigInteger(), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("receipt_id", BIG_ID, nullable=True),
        sa.Column("return_code", sa.String(length=10), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["payer_accounts.id"],
            name=op.f("fk_collection_items_account_id_payer_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"], ["mandates.id"], name=op.f("fk_collection_items_mandate_id_mandates")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name=op.f("fk_collection_items_receipt_id_receipts")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["collection_runs.id"],
            name=op.f("fk_collection_items_run_id_collection_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_items")),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_collection_items_end_to_end_id")),
    )
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_items_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collection_items_mandate_id"), ["mandate_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_collection_items_run_id"), ["run_id"], unique=False)

    op.create_table(
        "declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("regime_code", sa.String(length=20), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["payer_accounts.id"],
            name=op.f("fk_declarations_account_id_payer_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["contribution_calls.id"],
            name=op.f("fk_declarations_call_id_contribution_calls"),
        ),
        sa.ForeignKeyConstraint(
            ["regime_code"], ["regimes.code"], name=op.f("fk_declarations_regime_code_regimes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
        sa.UniqueConstraint("account_id", "regime_code", "month", "sha256", name="same_file"),
    )
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_declarations_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "ledger_entries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_centimes", sa.BigInteger(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("part", sa.String(length=10), nullable=True),
        sa.Column("receipt_id", BIG_ID, nullable=True),
        sa.Column("reverses_id", BIG_ID, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "(call_id IS NULL) = (part IS NULL)", name=op.f("ck_ledger_entries_part_with_call")
        ),
        sa.CheckConstraint("amount_centimes <> 0", name=op.f("ck_ledger_entries_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["payer_accounts.id"],
            name=op.f("fk_ledger_entries_account_id_payer_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["contribution_calls.id"],
            name=op.f("fk_ledger_entries_call_id_contribution_calls"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name=op.f("fk_ledger_entries_receipt_id_receipts")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_entries_reverses_id_ledger_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entries_account_date", ["account_id", "value_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ledger_entries_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_receipt_id"), ["receipt_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_reverses_id"), ["reverses_id"], unique=False
        )

    op.create_table(
        "allocations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("credit_id", BIG_ID, nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=10), nullable=False),
        sa.Column("amount_centimes", sa.BigInteger(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["contribution_calls.id"],
            name=op.f("fk_allocations_call_id_contribution_calls"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_id"],
            ["ledger_entries.id"],
            name=op.f("fk_allocations_credit_id_ledger_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocations_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocations_credit_id"), ["credit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_credit_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_call_id"))

    op.drop_table("allocations")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_reverses_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_receipt_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_call_id"))
        batch_op.drop_index("ix_ledger_entries_account_date")

    op.drop_table("ledger_entries")
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declarations_account_id"))

    op.drop_table("declarations")
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_items_run_id"))
        batch_op.drop_index(batch_op.f("ix_collection_items_mandate_id"))
        batch_op.drop_index(batch_op.f("ix_collection_items_account_id"))

    op.drop_table("collection_items")
    with op.batch_alter_table("call_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_call_lines_person_month")

    op.drop_table("call_lines")
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_events_call_id"))

    op.drop_table("call_events")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_end_to_end_id"))
        batch_op.drop_index(batch_op.f("ix_receipts_account_id"))

    op.drop_table("receipts")
    with op.batch_alter_table("mandates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mandates_account_id"))

    op.drop_table("mandates")
    with op.batch_alter_table("employer_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employer_users_employer_id"))

    op.drop_table("employer_users")
    with op.batch_alter_table("contribution_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_contribution_calls_status_due")
        batch_op.drop_index("ix_contribution_calls_regime_month")
        batch_op.drop_index(batch_op.f("ix_contribution_calls_account_id"))

    op.drop_table("contribution_calls")
    op.drop_table("payer_accounts")
    with op.batch_alter_table("member_categories", schema=None) as batch_op:
        batch_op.drop_index("ix_member_categories_person")

    op.drop_table("member_categories")
    with op.batch_alter_table("contribution_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_rates_regime_code"))

    op.drop_table("contribution_rates")
    with op.batch_alter_table("collection_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_rules_regime_code"))

    op.drop_table("collection_rules")
    op.drop_table("tns_reference_incomes")
    with op.batch_alter_table("tns_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tns_categories_code"))

    op.drop_table("tns_categories")
    op.drop_table("contribution_imports")
    op.drop_table("collection_runs")
    op.drop_table("chamil_bands")
