"""saved console filters; indexes for the console's instance search

Revision ID: 0010_saved_filters
Revises: 0009_audit_reports
Create Date: 2026-11-30 13:45:00
"""

import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = "0010_saved_filters"
down_revision = "0009_audit_reports"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_process_instances_started", "process_instances", ["started_at", "id"]),
    ("ix_process_instances_status_started", "process_instances", ["status", "started_at", "id"]),
    ("ix_process_instances_updated", "process_instances", ["updated_at", "id"]),
    ("ix_process_instances_incident", "process_instances", ["has_incident", "started_at", "id"]),
    ("ix_human_tasks_open_step", "human_tasks", ["state", "bpmn_id", "instance_id"]),
    ("ix_human_tasks_open_group", "human_tasks", ["state", "candidate_group", "instance_id"]),
    ("ix_users_document_number", "users", ["document_number"]),
]


def upgrade() -> None:
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", engine.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_filters_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_filters_user_id")),
    )

    # The console's instance search (engine.instance_search, bench/search.py).
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("saved_filters")
