"""a case's look-up code (hashed), for following it without logging in

Revision ID: 0007_lookup_codes
Revises: 0006_files
Create Date: 2026-11-30 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_lookup_codes"
down_revision = "0006_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("lookup_code_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("lookup_code_hash")
