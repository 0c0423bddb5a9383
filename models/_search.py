"""The search index beside each list table: SQLite FTS5, or a GIN index on PostgreSQL.

Both hold the `search_terms` column (`entries.indexing.search_terms`): FTS5 as an external
content table kept current by triggers, PostgreSQL as a GIN index on the text[] column. Neither
needs an extension. Created with the table (`create_all`) and by migration 0007.
"""

import sqlalchemy as sa
from sqlalchemy import DDL, event


def fts_table(table: str) -> str:
    """The FTS5 table indexing `table`'s search terms (SQLite)."""
    return f"{table}_fts"


def gin_index(table: str) -> str:
    """The GIN index on `table`'s search terms (PostgreSQL)."""
    return f"ix_{table}_search_terms"


def sqlite_statements(table: str) -> list[str]:
    """The FTS5 table and the triggers that keep it current on every insert, edit, delete.

    `detail=none` keeps only which rows hold a term (no positions): the search asks for rows
    holding all of a word's terms, never for phrases. Terms are letters and digits only, so
    unicode61 reads each space-separated term as one token, in the text and in a query alike.
    """
    fts = fts_table(table)
    # Names of the app's own tables, never user input: DDL cannot take them as parameters.
    insert = f"INSERT INTO {fts}(rowid, search_terms) VALUES (new.id, new.search_terms);"  # noqa: S608  # nosec B608
    delete = f"INSERT INTO {fts}({fts}, rowid, search_terms) VALUES ('delete', old.id, old.search_terms);"  # noqa: S608, E501  # nosec B608
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_terms, content='{table}', "
        "content_rowid='id', detail='none', columnsize=0, "
        "tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_terms ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def postgresql_statements(table: str) -> list[str]:
    """The GIN index on the search terms."""
    return [f"CREATE INDEX {gin_index(table)} ON {table} USING gin (search_terms)"]


def attach(table: sa.Table) -> None:
    """Create (and drop) `table`'s search index along with the table itself."""
    for statement in sqlite_statements(table.name):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in postgresql_statements(table.name):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    drop = DDL(f"DROP TABLE IF EXISTS {fts_table(table.name)}").execute_if(dialect="sqlite")
    event.listen(table, "before_drop", drop)


def in_metadata(name: str | None, type_: str, _parents: dict[str, str | None]) -> bool:
    """False for the search indexes (FTS5's tables, the GIN index), which the models' metadata
    does not describe: Alembic's `include_name`, for comparing the schema with the models."""
    if type_ == "table":
        return "_fts" not in (name or "")
    return not (type_ == "index" and (name or "").endswith("_search_terms"))
