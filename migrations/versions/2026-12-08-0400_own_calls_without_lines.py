"""own calls without lines: a TNS or AMO Chamil member's call has no line naming them

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 04:00:00

A member paying for themself has one call a month whose one line named the account's own
person again with the call's own amounts: a third of the rows (and of the index entries) a
national TNS run wrote. The rights now read such calls through the account's person
(payer_accounts.person_id), so the lines go. The downgrade writes them back from the calls.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        DELETE FROM call_lines WHERE call_id IN (
            SELECT c.id FROM contribution_calls c JOIN payer_accounts a ON a.id = c.account_id
            WHERE a.kind = 'member')
        """
    )


def downgrade() -> None:
    op.execute(
        """
        INSERT INTO call_lines (call_id, person_id, month, kind, days, persons, base_centimes,
                                member_centimes, employer_centimes, solidarity_centimes)
        SELECT c.id, a.person_id, c.month,
               CASE c.regime_code WHEN 'CHAMIL' THEN 'household' ELSE 'active' END,
               NULL, 1, c.base_centimes, c.member_centimes, c.employer_centimes,
               c.solidarity_centimes
        FROM contribution_calls c JOIN payer_accounts a ON a.id = c.account_id
        WHERE a.kind = 'member'
        """
    )
