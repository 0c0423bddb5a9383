"""entries indexed again: mainland words the Taiwan phrase table rewrote are kept as written

(小程序, 呼叫, 批次… in matching/data/mainland_words.txt). Stored tokens and search texts were
made with the old rewriting (小进程, 调用…); a new entry would no longer share those words with
them. Run `matchmaker match` afterwards: the fitted matcher's vocabulary has the old words.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing here any more: 0012 indexes every entry again with the code that runs, which
    keeps the mainland words too (doing it twice doubled an upgrade's time)."""


def downgrade() -> None:
    """Nothing to undo: the entries are indexed by whatever code runs."""
