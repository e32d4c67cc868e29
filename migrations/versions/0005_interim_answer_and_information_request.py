"""interim answer and information request on the case

Revision ID: 0005_case_terms
Revises: 0004_filing_tokens
Create Date: 2026-11-30 10:20:00
"""

import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = "0005_case_terms"
down_revision = "0004_filing_tokens"
branch_labels = None
depends_on = None

_WHEN = engine.models.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_response_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("answer_promised_by", _WHEN, nullable=True))
        batch_op.add_column(sa.Column("interim_answer", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("info_request", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("info_requested_at", _WHEN, nullable=True))
        batch_op.add_column(sa.Column("info_due", _WHEN, nullable=True))
        batch_op.add_column(sa.Column("legal_days_left", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("suspended_days", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("withdrawn_at", _WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for column in (
            "withdrawn_at",
            "suspended_days",
            "legal_days_left",
            "info_due",
            "info_requested_at",
            "info_request",
            "interim_answer",
            "answer_promised_by",
            "first_response_kind",
        ):
            batch_op.drop_column(column)
