"""report files kept with their period (monthly report XLSX and PDF); satisfaction answers; the channel a case came through

Revision ID: 0011_report_files
Revises: 0010_saved_filters
Create Date: 2026-11-30 13:40:00
"""

import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = "0011_report_files"
down_revision = "0010_saved_filters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=20), nullable=False, server_default="portal")
        )
    op.create_table(
        "report_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("job_key", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", engine.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_report_files_instance_id_process_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_files")),
    )
    op.create_index(
        "ix_report_files_report_period", "report_files", ["report", "period"], unique=False
    )
    op.create_index(
        "uq_report_files_job_format", "report_files", ["job_key", "format"], unique=True
    )
    op.create_table(
        "satisfaction_answers",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answer_clear", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", engine.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_satisfaction_answers_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_satisfaction_answers")),
    )
    op.create_index(
        op.f("ix_satisfaction_answers_answered_at"),
        "satisfaction_answers",
        ["answered_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_satisfaction_answers_answered_at"), table_name="satisfaction_answers")
    op.drop_table("satisfaction_answers")
    op.drop_index("uq_report_files_job_format", table_name="report_files")
    op.drop_index("ix_report_files_report_period", table_name="report_files")
    op.drop_table("report_files")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("channel")
