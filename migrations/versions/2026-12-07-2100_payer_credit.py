"""payer accounts: the credit left to apply

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 21:00:00

`payer_accounts.credit_centimes`: money received and not applied yet, as the last
application of credits left it, so that a month's run of 1.6 million calls applies credit
only for the accounts that have some instead of reading every account's history. The
ledger's entries and allocations stay the truth; every application brings it in step.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payer_accounts") as batch:
        batch.add_column(
            sa.Column("credit_centimes", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("payer_accounts") as batch:
        batch.drop_column("credit_centimes")
