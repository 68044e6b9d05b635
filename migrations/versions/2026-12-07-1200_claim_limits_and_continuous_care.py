"""claim limits and continuous care in the policy; the provider behind a claim document

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:00:00

The effective-dated adjudication policy gains what intake refuses at the door: the largest
amount one line and one claim may say was charged (10,000,000 MAD a line, 20,000,000 MAD
a claim, within the 32-bit amount columns), and the care categories a continuous treatment
end may cover (physiotherapy-type sessions and hospital stays; under an ALD exemption,
chronic medicine and medical-act sessions such as dialysis). A claim document records the
provider whose account or key uploaded it, so that a provider sees only its own; documents
already uploaded by a provider account or key get it from their recorded actor.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTINUOUS = "paramedical,hospitalisation"
CONTINUOUS_ALD = "medicine,medical_act"


def upgrade() -> None:
    with op.batch_alter_table("adjudication_policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "max_line_charged_centimes",
                sa.Integer(),
                server_default=sa.text("1000000000"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "max_claim_charged_centimes",
                sa.Integer(),
                server_default=sa.text("2000000000"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "continuous_categories",
                sa.String(length=300),
                server_default=CONTINUOUS,
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "continuous_ald_categories",
                sa.String(length=300),
                server_default=CONTINUOUS_ALD,
                nullable=False,
            )
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_adjudication_policies_charged_limits"),
            "max_line_charged_centimes >= 1"
            " AND max_line_charged_centimes <= max_claim_charged_centimes"
            " AND max_claim_charged_centimes <= 2000000000",
        )
    # Every row in force so far got these defaults: say so in its source.
    op.execute(
        sa.text("UPDATE adjudication_policies SET source = source || :note").bindparams(
            note=(
                ". ASSUMPTION (migration 0010): a line may say at most 10,000,000 MAD was "
                "charged and a claim 20,000,000 MAD (absurd amounts refused at the door); a "
                "continuous treatment end covers paramedical sessions and hospital stays, "
                "and under an ALD exemption medicine and medical-act sessions"
            )
        )
    )

    with op.batch_alter_table("claim_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_claim_documents_provider_id_providers"),
            "providers",
            ["provider_id"],
            ["id"],
        )
    # Actors are "provider:<username>" for a provider's account and
    # "provider:<INPE>/key<id>" for its API key (daman.auth.access).
    op.execute(
        sa.text(
            "UPDATE claim_documents SET provider_id = COALESCE("
            " (SELECT users.provider_id FROM users"
            "   WHERE users.role = 'provider'"
            "     AND claim_documents.created_by = 'provider:' || users.username),"
            " (SELECT access_tokens.provider_id FROM access_tokens"
            "   JOIN providers ON providers.id = access_tokens.provider_id"
            "   WHERE access_tokens.kind = 'api_key' AND claim_documents.created_by ="
            "     'provider:' || providers.inpe || '/key' || CAST(access_tokens.id AS VARCHAR(20))))"
            " WHERE created_by LIKE 'provider:%'"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("claim_documents", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_claim_documents_provider_id_providers"), type_="foreignkey"
        )
        batch_op.drop_column("provider_id")
    with op.batch_alter_table("adjudication_policies", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_adjudication_policies_charged_limits"), type_="check"
        )
        batch_op.drop_column("continuous_ald_categories")
        batch_op.drop_column("continuous_categories")
        batch_op.drop_column("max_claim_charged_centimes")
        batch_op.drop_column("max_line_charged_centimes")
