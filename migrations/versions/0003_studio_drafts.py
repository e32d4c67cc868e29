"""studio: drafts of the bundle's files, deployment comments

Revision ID: 0003_studio
Revises: 0002_accounts
Create Date: 2026-11-30 10:20:00
"""

import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = "0003_studio"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", engine.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_drafts_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_drafts")),
    )
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("comment", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("comment")
    op.drop_table("drafts")
