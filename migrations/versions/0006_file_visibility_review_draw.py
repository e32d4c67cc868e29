"""file visibility and step; review share setting; review draw counters

Revision ID: 0006_files
Revises: 0005_case_terms
Create Date: 2026-11-30 10:40:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = "0006_files"
down_revision = "0005_case_terms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        # Files already on record stay as they were shown (to the citizen) until reviewed:
        # the ones the citizen uploaded are theirs; every other one becomes internal.
        batch.add_column(
            sa.Column("visibility", sa.String(length=20), nullable=False, server_default="interna")
        )
        batch.add_column(sa.Column("step", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE attachments SET visibility = 'ciudadano' WHERE uploaded_by_id IN "
        "(SELECT id FROM users WHERE kind = 'citizen')"
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("review_drawn", sa.Boolean(), nullable=True))
    settings = op.create_table(
        "settings",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", engine.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_settings_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.bulk_insert(
        settings,
        [{"key": "porcentaje_revision", "value": "50", "updated_at": datetime.now(UTC)}],
    )
    op.create_table(
        "review_periods",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("drawn", sa.Integer(), nullable=False),
        sa.Column("reviewed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_review_periods")),
    )


def downgrade() -> None:
    op.drop_table("review_periods")
    op.drop_table("settings")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("review_drawn")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("step")
        batch.drop_column("visibility")
