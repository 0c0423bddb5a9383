"""Tallies: the dashboard's figures kept beside the rows they count (see dashboard.rollup).

Entries and pairings are counted per slice, a field and district: a scenario's for scenarios
and their pairings, a capability's for capabilities. Every write to a counted table leaves a
mark on its slice (triggers, so bulk statements and raw SQL leave them too); the slice is
recounted before the writer commits, and a reader recounts whatever is still marked.
"""

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Field, SQLModel


class Tally(SQLModel, table=True):
    """How many entries or pairings of one slice share status, batch, coverage and stage."""

    __table_args__ = (sa.Index("ix_tally_slice", "side", "field", "district"),)

    id: int | None = Field(default=None, primary_key=True)
    side: str = Field(max_length=12)  # "scenario" or "capability": whose field and district
    field: str = Field(max_length=40)
    district: str = Field(max_length=40)
    subject: str = Field(max_length=12)  # "scenario", "capability" or "pairing"
    status: str = Field(max_length=24)
    batch_id: int | None = None  # an entry's own batch; a pairing's batch
    covered: bool = False  # scenarios: with at least one published pairing
    level: int = 0  # pairings: the furthest funnel stage reached, 1 (recommended) to 5 (signed)
    count: int = 0
    amount: float = 0.0  # pairings: the signed contract value (万元), latest signing each


class FirmTally(SQLModel, table=True):
    """An organisation's published capabilities in one field, district and batch; and whether
    any capability of the organisation was ever recommended (the same on all its rows)."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(index=True)
    field: str = Field(max_length=40)
    district: str = Field(max_length=40)
    batch_id: int | None = None
    published: int = 0
    recommended: bool = False


class TallyMark(SQLModel, table=True):
    """A slice whose tallies a write has made stale: a scenario's or a capability's field and
    district, a scenario slice's pairings alone ("pairing"), or an organisation ("firm")."""

    __table_args__ = (sa.Index("ix_tallymark_slice", "side", "field", "district"),)

    id: int | None = Field(default=None, primary_key=True)
    side: str = Field(max_length=12)
    field: str = Field(default="", max_length=40)
    district: str = Field(default="", max_length=40)
    organisation_id: int = 0


_SLICE = "{} AS side, {} AS field, {} AS district, {} AS organisation_id"
# What a change to a counted row marks, per table: the columns whose change matters, and for
# each mark (side, field, district, organisation) read from the changed row `row_`, with the
# tables to join and how.
WATCHED: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]] = {
    "scenario": (
        ("status", "field", "district", "batch_id"),
        ((_SLICE.format("'scenario'", "row_.field", "row_.district", "0"), "", ""),),
    ),
    "capability": (
        ("status", "field", "district", "batch_id", "organisation_id"),
        (
            (_SLICE.format("'capability'", "row_.field", "row_.district", "0"), "", ""),
            (_SLICE.format("'firm'", "''", "''", "row_.organisation_id"), "", ""),
        ),
    ),
    "recommendation": (
        ("status", "batch_id", "scenario_id", "capability_id"),
        (
            (
                _SLICE.format("'scenario'", "s.field", "s.district", "0"),
                "scenario s",
                "s.id = row_.scenario_id",
            ),
            (
                _SLICE.format("'firm'", "''", "''", "c.organisation_id"),
                "capability c",
                "c.id = row_.capability_id",
            ),
        ),
    ),
    # A step changes its pairing's funnel stage alone: its scenario slice's pairings are
    # recounted ("pairing"), not the slice's scenarios.
    "dockingevent": (
        ("stage", "contract_amount_wan", "corrected_by_id", "occurred_on", "recommendation_id"),
        (
            (
                _SLICE.format("'pairing'", "s.field", "s.district", "0"),
                "recommendation x JOIN scenario s ON s.id = x.scenario_id",
                "x.id = row_.recommendation_id",
            ),
        ),
    ),
}
_MARK = (
    "INSERT INTO tallymark (side, field, district, organisation_id) "
    "SELECT DISTINCT * FROM ({found}) AS m "
    "WHERE NOT EXISTS (SELECT 1 FROM tallymark t WHERE t.side = m.side AND t.field = m.field "
    "AND t.district = m.district AND t.organisation_id = m.organisation_id);"
)


def _marks(table: str, rows: str) -> str:
    """The statements marking the slices of `rows`: "new"/"old" in a SQLite row trigger, a
    transition table in a PostgreSQL statement trigger."""
    statements = []
    for columns, joined, condition in WATCHED[table][1]:
        sources = ", ".join(part for part in (rows, joined) if part)
        # Built from WATCHED's constants alone: no value from outside reaches this SQL.
        found = f"SELECT {columns} FROM {sources}" if sources else f"SELECT {columns}"  # noqa: S608  # nosec B608
        found += f" WHERE {condition}" if condition else ""
        statements.append(_MARK.format(found=found))
    return " ".join(statements)


def sqlite_statements() -> list[tuple[str, str]]:
    """(table, statement): row triggers marking the slices a write touches (SQLite has no
    statement triggers)."""
    statements = []
    for table, (columns, _marked) in WATCHED.items():
        for event_, rows, when in (
            ("insert", ("new",), "INSERT"),
            ("delete", ("old",), "DELETE"),
            ("update", ("old", "new"), f"UPDATE OF {', '.join(columns)}"),
        ):
            body = " ".join(_marks(table, "").replace("row_.", f"{r}.") for r in rows)
            statements.append(
                (
                    table,
                    f"CREATE TRIGGER IF NOT EXISTS tally_{table}_{event_} AFTER {when} ON {table} "
                    f"BEGIN {body} END",
                )
            )
    return statements


def postgresql_statements() -> list[tuple[str, str]]:
    """(table, statement): statement triggers, one run per statement however many rows it
    writes (bulk loads stay fast); an update marks only rows whose watched columns changed."""
    statements = []
    for table, (columns, _marked) in WATCHED.items():
        changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in columns)
        moved = "(SELECT {0}.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {1}) row_"
        bodies = {
            "insert": ("NEW TABLE AS new_rows", _marks(table, "new_rows row_")),
            "delete": ("OLD TABLE AS old_rows", _marks(table, "old_rows row_")),
            "update": (
                "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                _marks(table, moved.format("o", changed))
                + " "
                + _marks(table, moved.format("n", changed)),
            ),
        }
        for event_, (referencing, body) in bodies.items():
            name = f"tally_{table}_{event_}"
            function = (
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                f"AS $$ BEGIN {body} RETURN NULL; END $$"
            )
            trigger = (
                f'CREATE OR REPLACE TRIGGER {name} AFTER {event_.upper()} ON "{table}" '
                f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
            statements += [(table, function), (table, trigger)]
    return statements


def drop_statements(dialect: str) -> list[str]:
    """What undoes the triggers (migration downgrade)."""
    drops = []
    for table in WATCHED:
        for event_ in ("insert", "update", "delete"):
            name = f"tally_{table}_{event_}"
            if dialect == "postgresql":
                drops += [f'DROP TRIGGER IF EXISTS {name} ON "{table}"', f"DROP FUNCTION {name}()"]
            else:
                drops.append(f"DROP TRIGGER IF EXISTS {name}")
    return drops


def _create_triggers(_metadata: object, connection: sa.Connection, tables=None, **_kw) -> None:  # type: ignore[no-untyped-def]
    """Create the triggers of the tables this `create_all` creates (each once, with its table)."""
    created = {table.name for table in tables or ()}
    statements = {"sqlite": sqlite_statements, "postgresql": postgresql_statements}
    for table, statement in statements[connection.dialect.name]():
        if table in created:
            connection.exec_driver_sql(statement)


# create_all (the tests' schemas) creates them with the tables; migration 0007 does the same.
event.listen(SQLModel.metadata, "after_create", _create_triggers)
