"""instance search at scale: each overdue term's open cases read from one index (the case
not yet met first, then its end)

Revision ID: 0013_fixb
Revises: 0012_console_indexes
Create Date: 2026-11-30 15:10:00
"""

from alembic import op

revision = "0013_fixb"
down_revision = "0012_console_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_unmet_first_response", "cases", ["first_response_at", "first_response_due"]
    )
    op.create_index("ix_cases_unanswered_legal_due", "cases", ["answered_at", "legal_due"])
    op.create_index("ix_cases_status_area_due", "cases", ["status", "area_due"])


def downgrade() -> None:
    op.drop_index("ix_cases_status_area_due", table_name="cases")
    op.drop_index("ix_cases_unanswered_legal_due", table_name="cases")
    op.drop_index("ix_cases_unmet_first_response", table_name="cases")
