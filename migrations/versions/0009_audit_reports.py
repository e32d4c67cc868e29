"""weekly audit: its sample and its report

Revision ID: 0009_audit_reports
Revises: 0008_bulk_jobs
Create Date: 2026-11-30 13:40:00
"""

import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = "0009_audit_reports"
down_revision = "0008_bulk_jobs"
branch_labels = None
depends_on = None

MOMENT = engine.models.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("period_start", MOMENT, nullable=False),
        sa.Column("since", MOMENT, nullable=False),
        sa.Column("until", MOMENT, nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("sampling", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_audit_reports_instance_id_process_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_reports")),
        sa.UniqueConstraint("instance_id", name=op.f("uq_audit_reports_instance_id")),
    )
    op.create_index(
        op.f("ix_audit_reports_period_start"), "audit_reports", ["period_start"], unique=False
    )
    op.create_table(
        "audit_cases",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audit_reports.id"], name=op.f("fk_audit_cases_audit_id_audit_reports")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_audit_cases_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("audit_id", "case_id", name=op.f("pk_audit_cases")),
    )
    op.create_index(op.f("ix_audit_cases_case_id"), "audit_cases", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_cases_case_id"), table_name="audit_cases")
    op.drop_table("audit_cases")
    op.drop_index(op.f("ix_audit_reports_period_start"), table_name="audit_reports")
    op.drop_table("audit_reports")
