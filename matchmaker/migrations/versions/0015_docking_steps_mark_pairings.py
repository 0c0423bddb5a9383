"""a docking step marks its scenario slice's pairings alone for recounting, not the slice

A step changes its pairing's funnel stage and nothing about the slice's scenarios; recounting
those too was a sixth of a step's work.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

from alembic import op

from models import tally

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "dockingevent"


def _recreate_triggers(mark_as: str) -> None:
    """The docking steps' triggers as the code writes them, marking `mark_as`."""
    dialect = op.get_bind().dialect.name
    for statement in tally.drop_statements(dialect):
        if f"tally_{TABLE}_" in statement:
            op.execute(statement)
    statements = tally.sqlite_statements if dialect == "sqlite" else tally.postgresql_statements
    for table, statement in statements():
        if table == TABLE:
            op.execute(statement.replace("'pairing' AS side", f"'{mark_as}' AS side"))


def upgrade() -> None:
    _recreate_triggers("pairing")


def downgrade() -> None:
    _recreate_triggers("scenario")
    # The code before knows no pairings-only mark: the whole slice is recounted instead.
    op.execute("UPDATE tallymark SET side = 'scenario' WHERE side = 'pairing'")
