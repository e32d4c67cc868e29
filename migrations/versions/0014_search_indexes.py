"""instance search at scale: each overdue term's open cases read from one index alone (the
term not yet met, then its end, then the case's id); on PostgreSQL with pg_trgm, trigram
indexes for the search by part of a radicado or of a citizen's name

Revision ID: 0014_search_indexes
Revises: 0013_first_response_reminder
Create Date: 2026-11-30 15:10:00
"""

from alembic import op
from sqlalchemy import text

revision = "0014_search_indexes"
down_revision = "0013_first_response_reminder"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_unmet_first_response", "cases", ["first_response_at", "first_response_due", "id"]
    )
    op.create_index("ix_cases_unanswered_legal_due", "cases", ["answered_at", "legal_due", "id"])
    op.create_index("ix_cases_status_area_due", "cases", ["status", "area_due", "id"])
    if _trigrams():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAM_INDEXES:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")


# ILIKE '%part%' served by an index (PostgreSQL only; SQLite scans, see engine/instance_search.py).
TRIGRAM_INDEXES = (
    ("ix_process_instances_key_trgm", "process_instances", "business_key"),
    ("ix_users_full_name_trgm", "users", "full_name"),
)


def _trigrams() -> bool:
    """PostgreSQL with pg_trgm installable (a trusted extension since PostgreSQL 13)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    # Installed already, or installable by this user (CREATE on the database is enough for a
    # trusted extension): otherwise the search works without the indexes, by scanning.
    return bool(
        bind.scalar(
            text(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
                " AND (installed_version IS NOT NULL"
                " OR has_database_privilege(current_database(), 'CREATE'))"
            )
        )
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _column in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_cases_status_area_due", table_name="cases")
    op.drop_index("ix_cases_unanswered_legal_due", table_name="cases")
    op.drop_index("ix_cases_unmet_first_response", table_name="cases")
