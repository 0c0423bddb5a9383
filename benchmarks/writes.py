"""Writes under load: 4 clients record docking steps through the JSON API on 4 gunicorn workers.

    .venv/bin/python benchmarks/writes.py [--postgres URL] [--writes 250] [--clients 4]

The story of tests/security/test_concurrency.py, measured: both parties of two published
pairings (four API tokens) each post `--writes` docking steps at once, one request after the
other, to gunicorn with 4 sync workers (`--preload`) on the seed lists (`matchmaker init-db`,
`seed`, `match`; two pairings approved and published through a batch by the seed's official).
Run on a SQLite file, and on PostgreSQL when `--postgres` names a server (a database of its own
is created there and dropped afterwards).

Printed per database, each beside its target: writes per second over the whole burst (≥ 250),
p50 and p95 latency of one write (p95 < 100 ms), writes answered 201 but missing from the
database afterwards (0), answers 5xx or none at all (0); and the server's CPU time per write
(all workers, from /proc), which the shared host's load changes little. In the same run, the
same clients load benchmarks/hello.py (GET /) on the same gunicorn settings: what this host
serves at this moment with no application work at all.
"""

import argparse
import http.client
import json
import os
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from load import ROOT, cpu_model, cpu_seconds, free_port, gunicorn, prepare_database

WORKERS = 4
TARGET_RATE = 250.0  # writes/s
TARGET_P95_MS = 100.0


class Burst(NamedTuple):
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter
    cpu_ms: float  # server CPU per request
    lost: int | None  # 201 answers whose row is not in the database (None: not a write)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def failed(self) -> int:
        """Answers 5xx, or none at all."""
        return sum(n for status, n in self.statuses.items() if status == 0 or status >= 500)


def app_for(env: dict[str, str], folder: Path):  # type: ignore[no-untyped-def]
    """The app on the benchmark's database, in this process (to prepare and check it)."""
    from matchmaker import create_app

    keys = ("DATABASE_URL", "SECRET_KEY", "MATCHER_PATH")
    return create_app({"INSTANCE_PATH": str(folder / "instance"), **{k: env[k] for k in keys}})


def publish_two_pairings(app) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Two pairings with four different parties, approved and published in a batch by the
    seed's official; a member and an API token for each party. (token, pairing) per client."""
    from sqlmodel import col, select
    from werkzeug.security import generate_password_hash

    from matchmaker.api import tokens
    from matchmaker.batches import publication
    from matchmaker.pairing import pairings
    from matchmaker.web.db import session_scope
    from models import Capability, Recommendation, Role, Scenario, User

    with app.test_request_context(), session_scope(app) as session:
        official = session.exec(select(User).where(User.role == Role.official)).first()
        rows = session.exec(
            select(Recommendation, Scenario, Capability)
            .join(Scenario, col(Scenario.id) == Recommendation.scenario_id)
            .join(Capability, col(Capability.id) == Recommendation.capability_id)
            .where(
                Recommendation.status == "recommended",
                Scenario.status == "published",
                Capability.status == "published",
            )
            .order_by(col(Recommendation.score).desc())
        ).all()
        chosen, parties = [], set()
        for rec, scenario, capability in rows:
            pair = {scenario.organisation_id, capability.organisation_id}
            if len(pair) == 2 and not pair & parties and len(chosen) < 2:
                chosen.append((rec, pair))
                parties |= pair
        for rec, _ in chosen:
            pairings.decide(
                session, rec, decision="approve", note="", version=rec.version,
                reviewer_id=official.id,
            )  # fmt: skip
        batch = publication.create_batch(
            session, name="", year=2099, number=1, note="", user_id=official.id
        )
        session.flush()
        publication.add_items(
            session, batch, version=batch.version, pairing_ids=[rec.id for rec, _ in chosen]
        )
        publication.publish_batch(session, batch, version=batch.version)
        clients = []
        for rec, pair in chosen:
            for org_id in sorted(pair):
                user = User(
                    email=f"writer-{org_id}@bench.example.cn",
                    name="压测",
                    role=Role.member,
                    organisation_id=org_id,
                    password_hash=generate_password_hash(os.urandom(16).hex()),
                )
                session.add(user)
                session.flush()
                clients.append((tokens.issue(session, user=user, name="writes").secret, rec.id))
    return clients


def request(base: str, method: str, path: str, body: bytes | None, headers: dict) -> int:
    """One request on a fresh connection (gunicorn's sync workers close each one); its status."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    except OSError:
        return 0
    finally:
        connection.close()


# One client's n-th request: its status, and what it stored when it answered 201.
Send = Callable[[int, int], tuple[int, str | None]]


def burst(name: str, pid: int, clients: int, requests: int, send: Send) -> tuple[Burst, set[str]]:
    """`clients` threads each make `requests` requests at once; the figures, and what the
    requests answered 201 said they stored."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    stored: set[str] = set()
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(requests):
            started = time.perf_counter()
            status, note = send(n, i)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1
                if status == 201 and note:
                    stored.add(note)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    total = len(latencies)
    return Burst(name, total, seconds, latencies, statuses, cpu * 1000 / total, None), stored


def docking_steps(base: str, clients: list[tuple[str, int]], label: str) -> Send:
    """Client n posts a "negotiating" step on its pairing with its party's token."""
    today = date.today().isoformat()

    def send(n: int, i: int) -> tuple[int, str | None]:
        token, pairing = clients[n]
        note = f"{label}-{n}-{i}"
        body = json.dumps({"stage": "negotiating", "occurred_on": today, "note": note})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        path = f"/api/v1/pairings/{pairing}/docking"
        return request(base, "POST", path, body.encode(), headers), note

    return send


def hello(base: str) -> Send:
    """GET / of the hello app."""
    return lambda _n, _i: (request(base, "GET", "/", None, {}), None)


def notes_in_database(app, label: str) -> set[str]:  # type: ignore[no-untyped-def]
    """The notes of the benchmark's docking steps that are in the database."""
    from sqlmodel import col, select

    from matchmaker.web.db import session_scope
    from models import DockingEvent

    with app.app_context(), session_scope(app) as session:
        notes = select(DockingEvent.note).where(col(DockingEvent.note).startswith(label))
        return set(session.exec(notes))


def measure(name: str, url: str, folder: Path, args: argparse.Namespace) -> Burst:
    """Prepare the seed database at `url`, serve it, and record the steps; the figures."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "writes-benchmark",
        "MATCHER_PATH": str(folder / f"{name}-matcher.npz"),
        "REDIS_URL": "",
        "API_RATE_LIMIT": "",  # thousands of writes a minute from one address are the point
        "MATCHMAKER_ENV": "development",
    }
    print(f"{name}: preparing the seed database", flush=True)
    prepare_database(folder, env)
    app = app_for(env, folder)
    clients = publish_two_pairings(app)[: args.clients]
    instance = str(folder / f"{name}-instance")
    served = f"matchmaker:create_app(test_config={{'INSTANCE_PATH': {instance!r}}})"
    with gunicorn(served, free_port(), WORKERS, env, ROOT) as server:
        # Every worker's first requests (imports on first use) are not what is measured.
        burst(name, server.pid, len(clients), 5, docking_steps(server.base, clients, "warm-up"))
        steps = docking_steps(server.base, clients, "bench")
        result, answered = burst(name, server.pid, len(clients), args.writes, steps)
    result = result._replace(lost=len(answered - notes_in_database(app, "bench-")))
    app.extensions["engine"].dispose()
    print(
        f"  {result.requests} writes in {result.seconds:.1f} s: {result.rate:.0f}/s, "
        f"p95 {result.percentile(95):.0f} ms, {result.cpu_ms:.1f} CPU ms/write",
        flush=True,
    )
    return result


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A new database on the PostgreSQL server at `server`, dropped afterwards; its URL."""
    from sqlalchemy import create_engine, text

    name = f"mm_writes_{os.getpid()}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def table(results: list[Burst], ceiling: Burst) -> str:
    """The figures as a Markdown table, each target beside its figure."""

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    lines = [
        "| database | writes | s | writes/s (≥ 250) | p50 ms | p95 ms (< 100) | lost (0) "
        "| 5xx or no answer (0) | server CPU ms/write |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        p95 = r.percentile(95)
        lines.append(
            f"| {r.name} | {r.requests} | {r.seconds:.1f} "
            f"| {r.rate:.0f} ({verdict(r.rate >= TARGET_RATE)}) | {r.percentile(50):.1f} "
            f"| {p95:.1f} ({verdict(p95 < TARGET_P95_MS)}) | {r.lost} ({verdict(r.lost == 0)}) "
            f"| {r.failed} ({verdict(r.failed == 0)}) | {r.cpu_ms:.1f} |"
        )
    lines.append(
        f"| {ceiling.name} | {ceiling.requests} | {ceiling.seconds:.1f} | {ceiling.rate:.0f} "
        f"| {ceiling.percentile(50):.1f} | {ceiling.percentile(95):.1f} | – "
        f"| {ceiling.failed} | {ceiling.cpu_ms:.1f} |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=250, help="steps per client (250)")
    parser.add_argument("--clients", type=int, default=4, choices=range(1, 5), help="(4)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server (postgresql+psycopg://user@host:port/db) to create a "
        "database on, besides the SQLite run",
    )
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"nproc {os.cpu_count()}, {cpu_model()}, load average {os.getloadavg()[0]:.1f}, "
        f"commit {commit}; gunicorn {WORKERS} sync workers (--preload), {args.clients} clients "
        f"× {args.writes} docking steps",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="mm-writes-") as temp:
        folder = Path(temp)
        results.append(measure("SQLite", f"sqlite:///{folder / 'writes.db'}", folder, args))
        if args.postgres:
            with postgres_database(args.postgres) as url:
                results.append(measure("PostgreSQL", url, folder, args))
        env = {**os.environ, "REDIS_URL": ""}
        with gunicorn("hello:app", free_port(), WORKERS, env, ROOT / "benchmarks") as server:
            name = "hello (GET /, same gunicorn)"
            burst(name, server.pid, args.clients, 5, hello(server.base))
            ceiling, _ = burst(name, server.pid, args.clients, args.writes, hello(server.base))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end\n")
    print(table(results, ceiling))


if __name__ == "__main__":
    main()
