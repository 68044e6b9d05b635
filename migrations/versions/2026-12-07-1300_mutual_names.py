"""the eight CNOPS mutuals: Arabic names, source and confidence

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:00:00

`daman init` loads the eight mutuals (and a complementary-rate row set for each) from the
default data; this adds the columns and the Arabic names of the three shipped before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ARABIC = {
    "OMFAM": "الهيآت التعاضدية لموظفي الإدارات و المصالح العمومية بالمغرب",
    "MGPAP": "التعاضدية العامة لموظفي الإدارات العمومية",
    "MGEN": "التعاضدية العامة للتربية الوطنية",
}


def upgrade() -> None:
    with op.batch_alter_table("mutuals") as batch:
        batch.add_column(sa.Column("name_ar", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("source", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("confidence", sa.String(12), nullable=False, server_default="M"))
    mutuals = sa.table("mutuals", sa.column("code", sa.String), sa.column("name_ar", sa.String))
    for code, name in ARABIC.items():
        op.execute(mutuals.update().where(mutuals.c.code == code).values(name_ar=name))


def downgrade() -> None:
    with op.batch_alter_table("mutuals") as batch:
        batch.drop_column("confidence")
        batch.drop_column("source")
        batch.drop_column("name_ar")
