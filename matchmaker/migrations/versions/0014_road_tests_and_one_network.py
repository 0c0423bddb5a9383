"""entries indexed again: 路测 (road tests) and 一张网 (one network) are words of the segmenter

(路测数据 was cut 路|测数据 and 全市一张网 一张|网, which explanations then showed as shared
terms). A new entry would no longer share those words with the stored ones.
Run `matchmaker match` afterwards: the fitted matcher's vocabulary has the old words.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

from matchmaker.migrations.reindex import index_stored_entries

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    index_stored_entries(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: the entries are indexed by whatever code runs."""
