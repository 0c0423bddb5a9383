"""entries found by when they last changed: those posted since the matcher was fitted are
candidates for a new entry's recommendations before the next re-match

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("scenario", "capability")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_by_change", table, ["updated_at"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_by_change", table_name=table)
