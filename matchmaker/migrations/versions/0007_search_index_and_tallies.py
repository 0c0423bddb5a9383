"""search index, list order indexes and the dashboard's tallies

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

from matchmaker.dashboard import rollup
from matchmaker.entries.indexing import search_terms
from models import _search, tally
from models._types import SearchTerms

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRIES = ("scenario", "capability")
ORDERS = {
    "scenario": {
        "by_newest": "published_at",
        "by_title": "title",
        "by_deadline": "deadline",
        "by_budget": "budget_max_wan",
    },
    "capability": {"by_newest": "published_at", "by_title": "title"},
}


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    empty = sa.text("'{}'") if dialect == "postgresql" else sa.text("''")
    for table in ENTRIES:
        op.add_column(
            table, sa.Column("search_terms", SearchTerms(), nullable=False, server_default=empty)
        )
        rows = bind.execute(sa.text(f"SELECT id, search_text FROM {table}"))  # noqa: S608  # nosec B608
        terms = sa.table(table, sa.column("id"), sa.column("search_terms", SearchTerms()))
        for row_id, text in rows.all():
            bind.execute(
                terms.update().where(terms.c.id == row_id).values(search_terms=search_terms(text))
            )
        statements = (
            _search.sqlite_statements(table)
            if dialect == "sqlite"
            else _search.postgresql_statements(table)
        )
        for statement in statements:
            op.execute(statement)
            if statement.startswith("CREATE VIRTUAL TABLE"):  # index the rows already there
                fts = _search.fts_table(table)
                op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608  # nosec B608
        for name, column in ORDERS[table].items():
            op.create_index(f"ix_{table}_{name}", table, [column, "id", "status"])

    op.create_table(
        "tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=12), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tally_slice", "tally", ["side", "field", "district"])
    op.create_table(
        "firmtally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("published", sa.Integer(), nullable=False),
        sa.Column("recommended", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_firmtally_organisation_id", "firmtally", ["organisation_id"])
    op.create_table(
        "tallymark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=12), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tallymark_slice", "tallymark", ["side", "field", "district"])
    statements = tally.sqlite_statements if dialect == "sqlite" else tally.postgresql_statements
    for _table, statement in statements():
        op.execute(statement)
    with Session(bind=bind) as session:
        rollup.recount(session)
        session.flush()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in tally.drop_statements(dialect):
        op.execute(statement)
    for name in ("tallymark", "firmtally", "tally"):
        op.drop_table(name)
    for table in ENTRIES:
        for name in ORDERS[table]:
            op.drop_index(f"ix_{table}_{name}", table_name=table)
        if dialect == "sqlite":
            for event_ in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {_search.fts_table(table)}_{event_}")
            op.execute(f"DROP TABLE IF EXISTS {_search.fts_table(table)}")
        else:
            op.drop_index(_search.gin_index(table), table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("search_terms")
