"""rights rules: the declaration lag (CNSS_SAL employers declare a month during the next)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:00:00

Within the lag after the last declared month an employee is still covered as principal, not
"maintained": checked mid-month, a normal employee whose employer has declared every month
up to the last one reads `covered_principal`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rights_rules") as batch:
        batch.add_column(
            sa.Column("declaration_lag_months", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute("UPDATE rights_rules SET declaration_lag_months = 1 WHERE regime_code = 'CNSS_SAL'")


def downgrade() -> None:
    with op.batch_alter_table("rights_rules") as batch:
        batch.drop_column("declaration_lag_months")
