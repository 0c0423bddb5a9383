"""entries indexed again: mainland words the Taiwan phrase table rewrote are kept as written

(小程序, 呼叫, 批次… in matching/data/mainland_words.txt). Stored tokens and search texts were
made with the old rewriting (小进程, 调用…); a new entry would no longer share those words with
them. Run `matchmaker match` afterwards: the fitted matcher's vocabulary has the old words.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matchmaker.entries.indexing import SEARCHED, index_entry
from models import Capability, Scenario
from models._types import SearchTerms

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTS = {"tags", "products", "cases", "qualifications"}  # stored as JSON lists
BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    for model in (Scenario, Capability):
        read = ["id", "title", "summary", "description", *SEARCHED[model]]
        columns = {name: sa.column(name, sa.JSON if name in LISTS else sa.Text) for name in read}
        columns["id"] = sa.column("id", sa.Integer)
        stored = sa.table(
            model.__tablename__,
            *columns.values(),
            sa.column("tokens", sa.JSON),
            sa.column("search_text", sa.Text),
            sa.column("search_terms", SearchTerms()),
        )
        rows = bind.execute(sa.select(*columns.values()).order_by(columns["id"])).mappings().all()
        for start in range(0, len(rows), BATCH):
            updates = []
            for row in rows[start : start + BATCH]:
                # A detached entry built from the row: the indexing reads its fields only.
                entry = model(**{name: row[name] for name in read})
                index_entry(entry)
                updates.append(
                    {
                        "_id": row["id"],
                        "tokens": entry.tokens,
                        "search_text": entry.search_text,
                        "search_terms": entry.search_terms,
                    }
                )
            bind.execute(
                stored.update()
                .where(stored.c.id == sa.bindparam("_id"))
                .values(
                    tokens=sa.bindparam("tokens"),
                    search_text=sa.bindparam("search_text"),
                    search_terms=sa.bindparam("search_terms"),
                ),
                updates,
            )


def downgrade() -> None:
    """Nothing to undo: the entries are indexed by whatever code runs."""
