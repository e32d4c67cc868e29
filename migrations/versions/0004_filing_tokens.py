"""one-time filing tokens

Revision ID: 0004_filing_tokens
Revises: 0003_studio
Create Date: 2026-11-30 10:20:00
"""

import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = "0004_filing_tokens"
down_revision = "0003_studio"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "filing_tokens",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("used_at", engine.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_filing_tokens_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["users.id"], name=op.f("fk_filing_tokens_citizen_id_users")
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_filing_tokens")),
        sa.UniqueConstraint("case_id", name=op.f("uq_filing_tokens_case_id")),
    )


def downgrade() -> None:
    op.drop_table("filing_tokens")
