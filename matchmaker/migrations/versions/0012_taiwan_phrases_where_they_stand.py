"""entries indexed again: a Taiwan phrase is replaced only where it stands as words of its own

(品质 in 产品质量 or 个资 in 一个资产 straddle two mainland words: the old plain replace stored
产质量量 and 一个人信息产). A new entry would no longer share those words with the stored ones.
Run `matchmaker match` afterwards: the fitted matcher's vocabulary has the old words.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

from alembic import op

from matchmaker.migrations.reindex import index_stored_entries

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    index_stored_entries(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: the entries are indexed by whatever code runs."""
