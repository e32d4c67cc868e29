"""bulk jobs of the console

Revision ID: 0008_bulk_jobs
Revises: 0007_lookup_codes
Create Date: 2026-11-30 14:00:00
"""

import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = "0008_bulk_jobs"
down_revision = "0007_lookup_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("instance_ids", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", engine.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_at", engine.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", engine.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", engine.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_bulk_jobs_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_jobs")),
    )


def downgrade() -> None:
    op.drop_table("bulk_jobs")
