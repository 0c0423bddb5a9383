"""Pages at the product brief's scale: every list, search, page, API list, the review queue,
the statistics and the dashboard, timed in-process on the seed lists and on a database
synthesised from them, in the same run, each figure printed beside its target.

    .venv/bin/python benchmarks/pages_at_scale.py                      # PostgreSQL, then SQLite
    .venv/bin/python benchmarks/pages_at_scale.py --engines sqlite     # SQLite only
    .venv/bin/python benchmarks/pages_at_scale.py --engines postgresql --scenarios 100000 \\
        --capabilities 1000000 --repeat 10 --keep

For each engine: the seed lists as `make run` serves them (`matchmaker init-db`, `seed`,
`match`), with a share of the pairings decided, published and followed up to a contract (so
the funnel has every stage); then a database of --scenarios × --capabilities (PostgreSQL
default 100,000 × 1,000,000, SQLite 20,000 × 200,000) built by Alembic and filled with copies of
those rows: each copy keeps a seed entry's text, adds a sentence of another's, and gets its own
organisation, publication date, deadline and batch; each scenario's pairings are copied onto
copies of the same capabilities. PostgreSQL is loaded with COPY (triggers off, indexes built
after), SQLite with executemany, then the tallies are recounted and the tables analysed.

Each target is requested once to warm up, then --repeat times through Flask's test client
(the whole request: routing, SQL, templates); the median wall time is printed. PostgreSQL
databases are made with `createdb` on --postgres (trust auth) and dropped at the end unless
--keep.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import click
import sqlalchemy as sa
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
MATCHMAKER = Path(sys.executable).with_name("matchmaker")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')  # the sign-in form's token
SIZES = {"postgresql": (100_000, 1_000_000, 20_000), "sqlite": (20_000, 200_000, 4_000)}
EXTRA_BATCHES = 9  # published batches besides the seed's three
SENTENCE = re.compile(r"[^。！？]+[。！？]?")


class Target(NamedTuple):
    name: str
    path: str
    target_ms: float  # at scale, on PostgreSQL (the brief's figures); SQLite: search only
    official: bool = False
    htmx: bool = False


def targets(deep: int, keyset: tuple[int, int], field: str, district: str) -> list[Target]:
    """What is timed: the path, and the brief's target at 100k × 1M on PostgreSQL."""
    htmx = {"htmx": True}
    page, after = keyset
    found = [
        Target("scenario list", "/scenarios/", 150),
        Target("capability list", "/capabilities/", 150),
        Target("scenario list, deadline soonest", "/scenarios/?sort=deadline", 150),
        Target("scenario list, largest budget", "/scenarios/?sort=budget", 150),
        Target(
            "capability list, field and district",
            f"/capabilities/?field={quote(field)}&district={quote(district)}",
            150,
        ),
        Target("search ?q=平台 (htmx)", f"/capabilities/?q={quote('平台')}", 150, **htmx),
        Target("search ?q=数据 scenarios (htmx)", f"/scenarios/?q={quote('数据')}", 150, **htmx),
        Target("search ?q=數據平台 (Traditional)", f"/capabilities/?q={quote('數據平台')}", 150),
        Target("search ?q=智慧 园区 (two words)", f"/capabilities/?q={quote('智慧 园区')}", 150),
        Target("search, rare word ?q=量子", f"/capabilities/?q={quote('量子')}", 150),
        Target("search, absent word ?q=鲸鱼", f"/capabilities/?q={quote('鲸鱼')}", 150),
        Target("search, one character ?q=云", f"/capabilities/?q={quote('云')}", 150),
        Target(f"capabilities ?page={deep} (OFFSET)", f"/capabilities/?page={deep}", 50),
        Target(
            f"capabilities page {deep} by keyset (next link)",
            f"/capabilities/?page={page}&after={after}",
            50,
        ),
        Target("search ?q=平台&page=50 (last)", f"/capabilities/?q={quote('平台')}&page=50", 50),
        Target("review queue (official)", "/review/", 100, official=True),
        Target("statistics (public)", "/statistics/", 100),
        Target("dashboard (official)", "/dashboard/", 100, official=True),
        Target("dashboard, one field", f"/dashboard/?field={quote(field)}", 100, official=True),
        Target("API scenarios", "/api/v1/scenarios", 150),
        Target("API capabilities", "/api/v1/capabilities", 150),
        Target("API capabilities ?q=数据", f"/api/v1/capabilities?q={quote('数据')}", 150),
        Target(f"API capabilities ?page={deep}", f"/api/v1/capabilities?page={deep}", 50),
        Target("API pairings", "/api/v1/pairings", 150),
    ]
    return found


# ---- databases --------------------------------------------------------------------------


def run(command: list[str], env: dict[str, str], folder: Path) -> None:
    started = time.monotonic()
    subprocess.run(
        [str(MATCHMAKER), *command], cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL
    )
    print(f"  matchmaker {command[0]}: {time.monotonic() - started:.0f} s", flush=True)


def environment(url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "scale-benchmark",
        "MATCHER_PATH": str(folder / "matcher.pkl"),
        "REDIS_URL": "",
        "MATCHMAKER_ENV": "development",
    }


def postgres_database(server: str, name: str) -> str:
    """A fresh database called `name` on `server` (made with createdb); its URL."""
    host = sa.make_url(server)
    args = ["-h", host.host or "127.0.0.1", "-p", str(host.port or 5432), "-U", host.username]
    subprocess.run(["dropdb", "--if-exists", *args, name], check=True)
    subprocess.run(["createdb", *args, name], check=True)
    return str(host.set(database=name).render_as_string(hide_password=False))


def drop_postgres(url: str) -> None:
    host = sa.make_url(url)
    args = ["-h", host.host or "127.0.0.1", "-p", str(host.port or 5432), "-U", host.username]
    subprocess.run(["dropdb", "--if-exists", *args, host.database], check=True)


def decide(engine: sa.Engine, rng: random.Random) -> None:
    """Decide a share of the pairings as officials would: approve, reject, publish in a batch,
    and follow the published ones up (contacted, negotiating, signed with an amount, closed)."""
    from sqlmodel import SQLModel

    from matchmaker.dashboard import rollup

    with Session(engine) as session:
        conn = session.connection()
        batches = [b for (b,) in conn.execute(sa.text("SELECT id FROM batch ORDER BY id"))]
        user, org = conn.execute(sa.text('SELECT id, organisation_id FROM "user" LIMIT 1')).one()
        rows = conn.execute(sa.text("SELECT id FROM recommendation ORDER BY id")).all()
        updates, steps = [], []
        for (rec_id,) in rows:
            status, batch, events = pairing_fate(rng, batches)
            if status != "recommended":
                updates.append({"id": rec_id, "status": status, "batch": batch})
            steps += [step(rec_id, event, user, org) for event in events]
        if updates:
            conn.execute(
                sa.text(
                    "UPDATE recommendation SET status = :status, batch_id = :batch WHERE id = :id"
                ),
                updates,
            )
        if steps:
            conn.execute(sa.insert(SQLModel.metadata.tables["dockingevent"]), steps)
        rollup.settle(session)  # the tallies of every slice touched
        session.commit()


def pairing_fate(rng: random.Random, batches: list[int]) -> tuple[str, int | None, list]:
    """A pairing's status, batch and docking steps, drawn as the seed's review would go."""
    x = rng.random()
    if x < 0.75:
        return "recommended", None, []
    if x < 0.83:
        return "approved", None, []
    if x < 0.87:
        return "rejected", None, []
    day, events = date(2024, 1, 1) + timedelta(days=rng.randint(0, 500)), []
    y = rng.random()
    for stage, share in (("contacted", 0.5), ("negotiating", 0.3), ("signed", 0.15)):
        if y < share:
            day += timedelta(days=rng.randint(1, 40))
            events.append((stage, day, rng.choice([20.0, 50.0, 120.0, 300.0])))
    if y > 0.92:
        events.append(("closed", day + timedelta(days=3), None))
    return "published", rng.choice(batches), events


def step(rec_id: int, event: tuple, user: int, org: int) -> dict[str, Any]:
    stage, day, amount = event
    return {
        "recommendation_id": rec_id,
        "stage": stage,
        "occurred_on": day,
        "note": "",
        "contract_amount_wan": amount if stage == "signed" else None,
        "reason": "",
        "user_id": user,
        "organisation_id": org,
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
    }


def seed_database(url: str, folder: Path, rng: random.Random) -> None:
    """The seed lists as `make run` serves them, with a share of the pairings decided."""
    env = environment(url, folder)
    for command in (["init-db"], ["seed"], ["match"]):
        run(command, env, folder)
    decide(engine_for(url), rng)


def engine_for(url: str) -> sa.Engine:
    from matchmaker.web.db import make_engine

    return make_engine(url)


# ---- synthesis --------------------------------------------------------------------------


class Source(NamedTuple):
    """The seed database's rows, read once."""

    organisations: list[dict]
    users: list[dict]
    batches: list[dict]
    scenarios: list[dict]
    capabilities: list[dict]
    pairings: list[dict]  # recommendation rows


def read_source(engine: sa.Engine) -> Source:
    from sqlmodel import SQLModel

    import models  # noqa: F401  (the tables' own types: JSON, search terms)

    tables = SQLModel.metadata.tables
    with engine.connect() as conn:

        def rows(name: str) -> list[dict]:
            # JSON written out once here, not once per copy.
            stmt = sa.select(tables[name]).order_by(tables[name].c.id)
            return [
                {k: v if k == "search_terms" else _json(v) for k, v in r._mapping.items()}
                for r in conn.execute(stmt)
            ]

        return Source(
            *(
                rows(n)
                for n in (
                    "organisation",
                    "user",
                    "batch",
                    "scenario",
                    "capability",
                    "recommendation",
                )
            )
        )


def sentences(entries: list[dict]) -> list[tuple[str, str, list[str]]]:
    """Per seed entry, its first sentence: as written, normalised, and its search terms."""
    from matchmaker.entries.indexing import normalize_for_search, search_terms

    found = []
    for entry in entries:
        first = (SENTENCE.findall(entry["description"]) or [entry["description"]])[0]
        normal = normalize_for_search(first)
        found.append((first, normal, search_terms(normal)))
    return found


def when(rng: random.Random) -> datetime:
    """A publication time in the three years before the lists' newest batch."""
    start = datetime(2023, 1, 1, 2, tzinfo=UTC)
    return start + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))


def entry_copies(
    seeds: list[dict],
    count: int,
    organisations: Callable[[int, int], int],
    batches: list[int],
    rng: random.Random,
    scenario: bool,
) -> Iterator[dict]:
    """`count` entries, copy after copy of the seed entries (each a little different)."""
    extra = sentences(seeds)
    terms = [dict.fromkeys(s["search_terms"]) for s in seeds]
    for i in range(count):
        copy, base = divmod(i, len(seeds))
        seed = seeds[base]
        other = (base * 7 + copy * 13 + 1) % len(seeds)
        raw, normal, more = extra[other]
        row = dict(seed)
        row["id"] = i + 1
        row["code"] = None
        row["organisation_id"] = organisations(seed["organisation_id"], copy)
        row["description"] = (seed["description"] + raw)[:4000]
        row["search_text"] = seed["search_text"] + " " + normal
        row["search_terms"] = list(terms[base] | dict.fromkeys(more))
        published = seed["status"] in ("published", "closed")
        row["published_at"] = when(rng) if published else None
        row["created_at"] = row["updated_at"] = row["published_at"] or seed["created_at"]
        if scenario:
            row["batch_id"] = rng.choice(batches) if seed["batch_id"] else None
            if seed["deadline"]:
                row["deadline"] = seed["deadline"] + timedelta(days=rng.randint(-300, 200))
        else:
            row["batch_id"] = rng.choice(batches) if published and rng.random() < 0.3 else None
        yield row


def synthesise(source: Source, url: str, sizes: tuple[int, int, int], seed: int) -> None:
    """Fill the empty database at `url` (schema by Alembic) with copies of `source`."""
    from matchmaker.auth.creditcode import make as credit_code

    n_scenarios, n_capabilities, n_organisations = sizes
    rng = random.Random(seed)
    org_ids = {o["id"]: i for i, o in enumerate(source.organisations)}
    org_copies = max(1, n_organisations // len(source.organisations))
    codes = iter(range(10_000_000, 99_999_999))

    def organisation(seed_id: int, copy: int) -> int:
        return (copy % org_copies) * len(source.organisations) + org_ids[seed_id] + 1

    organisations = []
    for copy in range(org_copies):
        for o in source.organisations:
            row = dict(o, id=copy * len(source.organisations) + org_ids[o["id"]] + 1)
            if copy:
                row.update(
                    name=f"{o['name']}（{copy}）",
                    key=None,
                    credit_code=credit_code("9", "1", "500112", f"{next(codes):08d}"),
                )
            organisations.append(row)
    batches = list(source.batches)
    for n in range(EXTRA_BATCHES):
        year, number = 2023 + n // 4, n % 4 + 2
        batches.append(
            dict(
                source.batches[-1],
                id=len(source.batches) + n + 1,
                name=f"{year}年第{'一二三四五六七八九十'[number - 1]}批次",
                year=year,
                number=number + 10,
            )
        )
    batch_ids = [b["id"] for b in batches]
    scenarios = entry_copies(source.scenarios, n_scenarios, organisation, batch_ids, rng, True)
    capabilities = entry_copies(
        source.capabilities, n_capabilities, organisation, batch_ids, rng, False
    )
    cap_copies = max(1, n_capabilities // len(source.capabilities))
    scenario_index = {s["id"]: i for i, s in enumerate(source.scenarios)}
    capability_index = {c["id"]: i for i, c in enumerate(source.capabilities)}
    by_scenario: dict[int, list[dict]] = {}
    for rec in source.pairings:
        by_scenario.setdefault(scenario_index[rec["scenario_id"]], []).append(rec)

    def pairings() -> Iterator[dict]:
        rec_id = 0
        for i in range(n_scenarios):
            copy, base = divmod(i, len(source.scenarios))
            target = copy % cap_copies
            for rec in by_scenario.get(base, []):
                cap = target * len(source.capabilities) + capability_index[rec["capability_id"]]
                if cap >= n_capabilities:
                    continue
                rec_id += 1
                status, batch, events = pairing_fate(rng, batch_ids)
                yield (
                    dict(
                        rec,
                        id=rec_id,
                        scenario_id=i + 1,
                        capability_id=cap + 1,
                        status=status,
                        batch_id=batch,
                        reviewer_id=None,
                        decided_at=None,
                        version=1,
                    ),
                    events,
                )

    user = source.users[0]
    loader = PostgresLoader(url) if url.startswith("postgresql") else SqliteLoader(url)
    with loader:
        loader.load("organisation", organisations, len(organisations))
        loader.load("user", source.users, len(source.users))
        loader.load("batch", batches, len(batches))
        loader.load("scenario", scenarios, n_scenarios)
        loader.load("capability", capabilities, n_capabilities)
        steps: list[dict] = []

        def recs() -> Iterator[dict]:
            for rec, events in pairings():
                steps.extend(
                    step(rec["id"], e, user["id"], user["organisation_id"]) for e in events
                )
                yield rec

        estimate = len(source.pairings) * n_scenarios // len(source.scenarios)
        loader.load("recommendation", recs(), estimate)
        loader.load("dockingevent", ({"id": n + 1, **s} for n, s in enumerate(steps)), len(steps))


class Loader:
    """Writes rows into the tables of an empty database as fast as the engine allows."""

    def __init__(self, url: str) -> None:
        from sqlmodel import SQLModel

        import models  # noqa: F401

        self.url = url
        self.tables = SQLModel.metadata.tables

    def load(self, table: str, rows: Any, count: int) -> None:
        columns = [c.name for c in self.tables[table].columns]
        label = click.style(f"{table:<15}", bold=True)
        with click.progressbar(rows, length=count, label=label, show_pos=True) as bar:
            self.write(table, columns, bar)

    def write(self, table: str, columns: list[str], rows: Any) -> None:
        raise NotImplementedError


def _json(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


class PostgresLoader(Loader):
    """COPY with the triggers off; the indexes dropped before and built after."""

    def __enter__(self) -> "PostgresLoader":
        import psycopg

        self.conn = psycopg.connect(
            sa.make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self.conn.execute("SET session_replication_role = replica")  # no triggers, no FK checks
        self.indexes = self.conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND indexdef NOT LIKE '%UNIQUE%' AND tablename IN "
            "('scenario', 'capability', 'recommendation', 'dockingevent', 'organisation')"
        ).fetchall()
        for name, _definition in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        return self

    def write(self, table: str, columns: list[str], rows: Any) -> None:
        arrays = {c.name for c in self.tables[table].columns if c.name == "search_terms"}
        names = ", ".join(f'"{c}"' for c in columns)
        with self.conn.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row.get(c) if c in arrays else _json(row.get(c)) for c in columns])
        self.conn.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
        )

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.conn.execute("SET maintenance_work_mem = '1GB'")
            for name, definition in self.indexes:
                started = time.monotonic()
                self.conn.execute(definition)
                print(f"  index {name}: {time.monotonic() - started:.0f} s", flush=True)
            self.conn.commit()
        self.conn.close()


class SqliteLoader(Loader):
    """executemany in one transaction, without the triggers; FTS5 rebuilt after."""

    def __enter__(self) -> "SqliteLoader":
        import sqlite3

        self.conn = sqlite3.connect(sa.make_url(self.url).database)
        self.triggers = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall()
        for name, _sql in self.triggers:
            self.conn.execute(f"DROP TRIGGER {name}")
        return self

    def write(self, table: str, columns: list[str], rows: Any) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        stmt = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
        batch: list[tuple] = []
        for row in rows:
            batch.append(tuple(self.value(c, row.get(c)) for c in columns))
            if len(batch) == 5000:
                self.conn.executemany(stmt, batch)
                batch.clear()
        self.conn.executemany(stmt, batch)

    @staticmethod
    def value(column: str, value: Any) -> Any:
        if column == "search_terms":
            return " ".join(value)
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, date):
            return value.isoformat()
        return _json(value)

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            for table in ("scenario", "capability"):
                self.conn.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")
            for _name, sql in self.triggers:
                self.conn.execute(sql)
            self.conn.commit()
        self.conn.close()


def finish(url: str) -> None:
    """Recount the tallies from the loaded tables, and let the planner see the data."""
    from matchmaker.dashboard import rollup

    engine = engine_for(url)
    analyse = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(analyse)  # before the recount too: its plans need the statistics
    started = time.monotonic()
    with Session(engine) as session:
        rollup.recount(session)
        session.commit()
    print(f"  tallies recounted: {time.monotonic() - started:.0f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(analyse)
    engine.dispose()


def settling(url: str, repeat: int) -> dict[str, float]:
    """Median ms to recount one marked slice of each kind, as a write does before it commits
    (the first slice of each side; rolled back)."""
    from sqlmodel import select

    from matchmaker.dashboard import rollup
    from models import Capability, Scenario, TallyMark

    engine = engine_for(url)
    found = {}
    with Session(engine) as session:
        scenario = session.exec(select(Scenario).limit(1)).one()
        capability = session.exec(select(Capability).limit(1)).one()
        marks = {
            "a scenario's slice (its scenarios and pairings)": TallyMark(
                side="scenario", field=scenario.field, district=scenario.district
            ),
            "a capability's slice": TallyMark(
                side="capability", field=capability.field, district=capability.district
            ),
            "an organisation (firms)": TallyMark(
                side="firm", organisation_id=capability.organisation_id
            ),
        }
        for name, mark in marks.items():
            walls = []
            for _ in range(repeat):
                session.add(TallyMark(**mark.model_dump(exclude={"id"})))
                session.flush()
                begun = time.perf_counter()
                rollup.settle(session)
                walls.append((time.perf_counter() - begun) * 1000)
                session.rollback()
            found[name] = statistics.median(walls)
            print(f"    settling {name}: {found[name]:.1f} ms", flush=True)
    engine.dispose()
    return found


# ---- timing -----------------------------------------------------------------------------


class Timing(NamedTuple):
    wall_ms: float  # median of the requests' wall time
    sql_ms: float  # median of the time their SQL statements took (cursor execute to return)
    statements: int


def timed(url: str, folder: Path, found: list[Target], repeat: int) -> dict[str, Timing]:
    """Median wall and SQL ms of each target, requested in-process through Flask's test
    client; and of the dashboard's figures alone (no charts, no template)."""
    from matchmaker import create_app
    from matchmaker.dashboard import aggregates
    from matchmaker.web.db import get_session

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "scale-benchmark",
            "INSTANCE_PATH": str(folder),
            "MATCHER_PATH": str(folder / "matcher.pkl"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    sql: list[float] = []

    def started(*_args: Any) -> None:
        sql.append(-time.perf_counter())

    def ended(*_args: Any) -> None:
        sql[-1] += time.perf_counter()

    engine = app.extensions["engine"]
    sa.event.listen(engine, "before_cursor_execute", started)
    sa.event.listen(engine, "after_cursor_execute", ended)
    users = json.loads((ROOT / "seed/data/users.json").read_text(encoding="utf-8"))
    official = next(u for u in users if u["role"] == "official")
    visitor, staff = app.test_client(), app.test_client()
    token = CSRF.search(staff.get("/auth/login").get_data(as_text=True)).group(1)
    form = {"email": official["email"], "csrf_token": token, "password": official["password"]}
    if staff.post("/auth/login", data=form).status_code != 302:
        raise SystemExit("could not sign in as the seed's official")

    def request(target: Target) -> None:
        client = staff if target.official else visitor
        headers = {"HX-Request": "true", "HX-Target": "results"} if target.htmx else {}
        response = client.get(target.path, headers=headers)
        response.get_data()
        if response.status_code != 200:
            raise SystemExit(f"{target.path} answered {response.status_code}")

    def figures(_target: Target) -> None:
        with app.test_request_context():
            aggregates.figures(get_session(), aggregates.Scope(public=False))

    figures_alone = Target("dashboard figures alone (no charts)", "", 100)
    timings = {}
    for target in [*found, figures_alone]:
        call = figures if target is figures_alone else request
        walls, sqls, counts = [], [], []
        for n in range(repeat + 1):
            sql.clear()
            begun = time.perf_counter()
            call(target)
            if n:  # the first request warms up (templates, caches)
                walls.append((time.perf_counter() - begun) * 1000)
                sqls.append(sum(sql) * 1000)
                counts.append(len(sql))
        timing = Timing(statistics.median(walls), statistics.median(sqls), max(counts))
        timings[target.name] = timing
        print(
            f"    {target.name}: {timing.wall_ms:.1f} ms, SQL {timing.sql_ms:.1f} ms "
            f"({timing.statements} statements)",
            flush=True,
        )
    engine.dispose()
    return timings


def cursor(url: str, folder: Path, deep: int) -> tuple[int, int]:
    """Page `deep` of the capability list (the last but one if there are fewer), and the id
    its "next" link on the page before carries."""
    from matchmaker import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(folder)})
    client = app.test_client()
    before = client.get(f"/capabilities/?page={deep - 1}&lang=en").get_data(as_text=True)
    last = int(re.search(r"Page \d+ of (\d+)", before).group(1))
    if deep > last - 1:
        deep = last - 1
        before = client.get(f"/capabilities/?page={deep - 1}").get_data(as_text=True)
    app.extensions["engine"].dispose()
    return deep, int(re.search(r'rel="next" href="[^"]*after=(\d+)', before).group(1))


def report(
    engine: str,
    sizes: tuple[int, int, int],
    names: list[str],
    small: dict[str, Timing],
    large: dict[str, Timing],
    goals: dict[str, float],
) -> str:
    """The figures as a Markdown table, each beside its target (the brief's, at full size)."""
    scale = f"{sizes[0]:,} × {sizes[1]:,}"
    lines = [
        f"| page | seed lists ms (SQL) | {scale} ms (SQL) | statements | target ms | within |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name in names:
        judged = engine == "postgresql" or name.startswith("search")
        goal = f"≤ {goals[name]:.0f}" if judged else "–"
        verdict = ("yes" if large[name].wall_ms <= goals[name] else "**no**") if judged else ""
        lines.append(
            f"| {name} | {small[name].wall_ms:.1f} ({small[name].sql_ms:.1f}) "
            f"| {large[name].wall_ms:.1f} ({large[name].sql_ms:.1f}) | {large[name].statements} "
            f"| {goal} | {verdict} |"
        )
    return "\n".join(lines)


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--engines", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"]
    )
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/",
        help="the PostgreSQL server (trust auth; createdb and dropdb work)",
    )
    parser.add_argument("--scenarios", type=int, help="scenarios at scale (engine's default)")
    parser.add_argument("--capabilities", type=int, help="capabilities at scale")
    parser.add_argument("--organisations", type=int, help="organisations at scale")
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per target")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the databases (SQLite files in this folder; PostgreSQL ones)",
    )
    args = parser.parse_args()
    print(
        f"commit {commit()}, nproc {os.cpu_count()}, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    reports = []
    with tempfile.TemporaryDirectory(prefix="mm-scale-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        for engine in args.engines:
            default = SIZES[engine]
            sizes = (
                args.scenarios or default[0],
                args.capabilities or default[1],
                args.organisations or default[2],
            )
            if engine == "postgresql":
                small_url = postgres_database(args.postgres, "mm_scale_seed")
                large_url = postgres_database(args.postgres, "mm_scale_large")
            else:
                for name in ("seed.db", "large.db"):
                    for leftover in folder.glob(f"{name}*"):
                        leftover.unlink()
                small_url = f"sqlite:///{folder / 'seed.db'}"
                large_url = f"sqlite:///{folder / 'large.db'}"
            print(f"{engine}: the seed lists", flush=True)
            seed_database(small_url, folder, random.Random(1))
            print(
                f"{engine}: {sizes[0]:,} scenarios × {sizes[1]:,} capabilities, "
                f"{sizes[2]:,} organisations",
                flush=True,
            )
            started = time.monotonic()
            run(["init-db"], environment(large_url, folder), folder)
            synthesise(read_source(engine_for(small_url)), large_url, sizes, seed=2)
            finish(large_url)
            print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
            deep, first = 2000, read_source(engine_for(small_url)).scenarios[0]
            where = (first["field"], first["district"])
            found = targets(deep, cursor(large_url, folder, deep), *where)
            print(f"{engine}: timing, load average {os.getloadavg()[0]:.1f}", flush=True)
            print("  the seed lists:", flush=True)
            # The seed lists have fewer pages: their keyset target is their own last page.
            small = timed(
                small_url,
                folder,
                targets(deep, cursor(small_url, folder, deep), *where),
                args.repeat,
            )
            print("  at scale:", flush=True)
            large = timed(large_url, folder, found, args.repeat)
            print("  recounting one marked slice, as a write does before it commits:")
            settled = (settling(small_url, args.repeat), settling(large_url, args.repeat))
            goals = {t.name: t.target_ms for t in found} | {
                "dashboard figures alone (no charts)": 100
            }
            settle_lines = "\n".join(
                f"| {name} | {settled[0][name]:.1f} | {settled[1][name]:.1f} |"
                for name in settled[0]
            )
            reports.append(
                f"### {engine}, load average {os.getloadavg()[0]:.1f} after\n\n"
                + report(engine, sizes, list(large), small, large, goals)
                + "\n\n| settling before a write commits | seed lists ms | at scale ms |\n"
                + "|---|---:|---:|\n"
                + settle_lines
            )
            if engine == "postgresql" and not args.keep:
                drop_postgres(small_url)
                drop_postgres(large_url)
    print()
    print("\n\n".join(reports))


if __name__ == "__main__":
    main()
