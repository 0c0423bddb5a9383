"""entries indexed again: mainland words the Taiwan phrase table rewrote are kept as written

(小程序, 呼叫, 批次… in matching/data/mainland_words.txt). Stored tokens and search texts were
made with the old rewriting (小进程, 调用…); a new entry would no longer share those words with
them. Run `matchmaker match` afterwards: the fitted matcher's vocabulary has the old words.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

from matchmaker.migrations.reindex import index_stored_entries

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    index_stored_entries(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: the entries are indexed by whatever code runs."""
