"""console at scale: indexes for the dashboard's compliance, open work, cases at risk and
last runs, and the heatmap's period

Revision ID: 0012_console_indexes
Revises: 0011_report_files
Create Date: 2026-11-30 14:30:00
"""

from alembic import op

revision = "0012_console_indexes"
down_revision = "0011_report_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_first_response_due", "cases", ["first_response_due", "first_response_at"]
    )
    op.create_index("ix_cases_legal_due", "cases", ["legal_due", "answered_at", "withdrawn_at"])
    op.create_index("ix_cases_area_due", "cases", ["area_due"])
    op.create_index("ix_events_kind_at", "events", ["kind", "at", "instance_id"])
    op.create_index("ix_events_milestones", "events", ["kind", "label", "case_id", "at"])
    op.create_index("ix_human_tasks_open_work", "human_tasks", ["state", "candidate_group", "name"])


def downgrade() -> None:
    op.drop_index("ix_human_tasks_open_work", table_name="human_tasks")
    op.drop_index("ix_events_milestones", table_name="events")
    op.drop_index("ix_events_kind_at", table_name="events")
    op.drop_index("ix_cases_area_due", table_name="cases")
    op.drop_index("ix_cases_legal_due", table_name="cases")
    op.drop_index("ix_cases_first_response_due", table_name="cases")
