"""Entries indexed again by the code that runs now: what a migration calls when the
normalisation changed, so that stored tokens and search texts agree with new entries'."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from matchmaker.entries.indexing import SEARCHED, index_entry
from models import Capability, Scenario
from models._types import SearchTerms

LISTS = {"tags", "products", "cases", "qualifications"}  # stored as JSON lists
BATCH = 1000


def index_stored_entries(bind: Connection) -> None:
    """Tokens, search text and search terms of every scenario and capability, made anew."""
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
