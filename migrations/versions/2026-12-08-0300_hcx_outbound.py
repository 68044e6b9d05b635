"""hcx outbound: cycles the fund starts (a CommunicationRequest to a partner)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 03:00:00

A controller's request for a document on a care sheet whose provider is an exchange
partner goes to the partner as a CommunicationRequest: a cycle the fund starts, posted to
the partner's endpoint of the same action (communication/request) rather than an on_*
callback.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hcx_cycles") as batch:
        batch.add_column(
            sa.Column("outbound", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("hcx_cycles") as batch:
        batch.drop_column("outbound")
