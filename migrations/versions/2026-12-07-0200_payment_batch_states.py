"""payment batch states: formed -> file_written -> sent -> reconciled; claims in payment

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 02:00:00

A batch records each step once it is done: its bank file (name, SHA-256, when and by whom
written) and when it was sent to the bank. Claims of a batch not yet sent are `in_payment`;
they read `paid` once the file is sent. Existing batches: one whose file was exported counts
as sent (it was treated so until now); one without a file is `formed`, its claims back to
`in_payment`, and the next `daman payments run` writes its file.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_batches") as batch:
        batch.alter_column("exported_at", new_column_name="file_written_at")
        batch.alter_column("exported_by", new_column_name="file_written_by")
        batch.add_column(sa.Column("file_name", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("file_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sent_by", sa.String(length=120), nullable=True))
    op.execute(
        "UPDATE payment_batches SET status = 'sent', sent_at = file_written_at,"
        " sent_by = file_written_by WHERE status = 'ready' AND file_written_at IS NOT NULL"
    )
    op.execute("UPDATE payment_batches SET status = 'formed' WHERE status = 'ready'")
    # claims paid through a batch without a file, or queued with no batch yet: in payment
    op.execute(
        "UPDATE claims SET status = 'in_payment' WHERE status = 'paid' AND id IN ("
        " SELECT i.claim_id FROM payment_items i"
        " LEFT JOIN payment_transfers t ON t.id = i.transfer_id"
        " LEFT JOIN payment_batches b ON b.id = t.batch_id"
        " WHERE i.returned_at IS NULL AND (b.id IS NULL OR b.status = 'formed'))"
    )


def downgrade() -> None:
    op.execute("UPDATE claims SET status = 'paid' WHERE status = 'in_payment'")
    op.execute("UPDATE payment_batches SET status = 'ready' WHERE status <> 'reconciled'")
    with op.batch_alter_table("payment_batches") as batch:
        batch.drop_column("sent_by")
        batch.drop_column("sent_at")
        batch.drop_column("file_sha256")
        batch.drop_column("file_name")
        batch.alter_column("file_written_by", new_column_name="exported_by")
        batch.alter_column("file_written_at", new_column_name="exported_at")
