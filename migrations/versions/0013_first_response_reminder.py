"""the first-response reminder kept with the case, its lead fixed when the term is set

Revision ID: 0013_first_response_reminder
Revises: 0012_console_indexes
Create Date: 2026-11-30 15:15:00
"""

import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = "0013_first_response_reminder"
down_revision = "0012_console_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column(
                "first_response_reminder_at",
                engine.models.base.UtcDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("first_response_reminder_at")
