"""back office: agencies, each user's language and agency, the agency of a paper claim

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:00:00

An agency (a point of the fund that accepts files) is reference data; an agent belongs to
one, and a paper care sheet keyed in records the agency that received it. A user's page
language is remembered on the account.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name_fr", sa.String(200), nullable=False),
        sa.Column("name_ar", sa.String(200), nullable=False, server_default=""),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("region", sa.String(100), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(2)))
        batch.add_column(sa.Column("agency_code", sa.String(12)))
        batch.create_foreign_key(
            "fk_users_agency_code_agencies", "agencies", ["agency_code"], ["code"]
        )
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("agency_code", sa.String(12)))
        batch.create_foreign_key(
            "fk_claims_agency_code_agencies", "agencies", ["agency_code"], ["code"]
        )
        batch.create_index("ix_claims_agency", ["agency_code", "status"])


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_index("ix_claims_agency")
        batch.drop_constraint("fk_claims_agency_code_agencies", type_="foreignkey")
        batch.drop_column("agency_code")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_agency_code_agencies", type_="foreignkey")
        batch.drop_column("agency_code")
        batch.drop_column("language")
    op.drop_table("agencies")
