"""insured portal: an SMS outbox, sign-in codes, messages with the fund, decisions read and told

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 23:00:00

``sms_outbox`` holds the SMS to send (a sign-in code's text holds ``{code}``, never the
code); ``sign_in_codes`` an HMAC of each code sent, when it expires, when it was used and
how many wrong codes were typed. ``portal_messages`` is each person's thread with the fund;
``decision_reads`` records an insured person opening a decision; ``decision_notices`` the
decisions told by SMS, and ``decision_notice_marks`` how far the claims' status events
were read to tell them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("gateway_id", sa.String(100)),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("sent_at", AT),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
    )
    op.create_index("ix_sms_outbox_status_id", "sms_outbox", ["status", "id"])

    op.create_table(
        "sign_in_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("expires_at", AT, nullable=False),
        sa.Column("used_at", AT),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("sms_id", sa.Integer()),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_in_codes_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sms_id"], ["sms_outbox.id"], name=op.f("fk_sign_in_codes_sms_id_sms_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_codes")),
    )
    op.create_index("ix_sign_in_codes_user", "sign_in_codes", ["user_id", "created_at"])
    op.create_index("ix_sign_in_codes_phone", "sign_in_codes", ["phone", "created_at"])

    op.create_table(
        "portal_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("from_fund", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("claim_number", sa.String(12)),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("at", AT, nullable=False),
        sa.Column("read_at", AT),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_portal_messages_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_messages")),
    )
    op.create_index("ix_portal_messages_person", "portal_messages", ["person_id", "id"])

    op.create_table(
        "decision_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20)),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_decision_reads_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_decision_reads_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_reads")),
        sa.UniqueConstraint("claim_id", "person_id", "event_id", name="decision_read_once"),
    )
    op.create_index("ix_decision_reads_claim_id", "decision_reads", ["claim_id"])

    op.create_table(
        "decision_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(40), nullable=False),
        sa.Column("sms_id", sa.Integer()),
        sa.Column("at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["claim_status_events.id"],
            name=op.f("fk_decision_notices_event_id_claim_status_events"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_decision_notices_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["sms_id"], ["sms_outbox.id"], name=op.f("fk_decision_notices_sms_id_sms_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_notices")),
        sa.UniqueConstraint("event_id", name=op.f("uq_decision_notices_event_id")),
    )
    op.create_index("ix_decision_notices_claim_id", "decision_notices", ["claim_id"])

    op.create_table(
        "decision_notice_marks",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_decision_notice_marks")),
    )


def downgrade() -> None:
    op.drop_table("decision_notice_marks")
    op.drop_index("ix_decision_notices_claim_id", table_name="decision_notices")
    op.drop_table("decision_notices")
    op.drop_index("ix_decision_reads_claim_id", table_name="decision_reads")
    op.drop_table("decision_reads")
    op.drop_index("ix_portal_messages_person", table_name="portal_messages")
    op.drop_table("portal_messages")
    op.drop_index("ix_sign_in_codes_phone", table_name="sign_in_codes")
    op.drop_index("ix_sign_in_codes_user", table_name="sign_in_codes")
    op.drop_table("sign_in_codes")
    op.drop_index("ix_sms_outbox_status_id", table_name="sms_outbox")
    op.drop_table("sms_outbox")
