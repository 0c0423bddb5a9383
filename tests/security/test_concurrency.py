"""The real server under concurrent writes: gunicorn with 4 worker processes on the test's
database (a SQLite file, or PostgreSQL when DATABASE_URL says so), 4 clients each recording
250 docking steps through the JSON API at once, and (SQLite) a backup taken meanwhile.

Every write must answer 201 and be in the database afterwards; no answer may be a 5xx (on
SQLite that would be "database is locked"). The run is bounded in time.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import col, select
from world import build

from models import DockingEvent

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
CLIENTS = 4
WRITES_PER_CLIENT = 250
STARTUP_SECONDS = 180
WRITE_SECONDS = 420  # the whole burst; a generous bound for a loaded two-core test host


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a production-like run on the test's database."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "concurrency-test",
        "MATCHER_PATH": str(tmp_path / "matcher.pkl"),
        "REDIS_URL": "",
        "API_RATE_LIMIT": "",  # 1000 writes a minute from one address are the point here
    }


@contextmanager
def gunicorn(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """gunicorn serving the app with WORKERS processes on a free loopback port; its base URL."""
    port = free_port()
    instance = str(tmp_path / "instance")
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--workers={WORKERS}",
            f"--bind=127.0.0.1:{port}",
            "--preload",  # import once, then fork: four workers start in seconds
            "--timeout=120",
            f"matchmaker:create_app(test_config={{'INSTANCE_PATH': {instance!r}}})",
        ],
        cwd=ROOT,
        env=server_env(database_url, tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start in time"
            time.sleep(0.5)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def record_steps(base: str, token: str, pairing: int, label: str, deadline: float) -> Counter:
    """Post WRITES_PER_CLIENT docking steps; count the answers by status (0: no answer)."""
    statuses: Counter = Counter()
    url = f"{base}/api/v1/pairings/{pairing}/docking"
    for n in range(WRITES_PER_CLIENT):
        if time.monotonic() > deadline:
            statuses["out of time"] += WRITES_PER_CLIENT - n
            break
        body = {"stage": "negotiating", "occurred_on": date.today().isoformat()}
        request = urllib.request.Request(
            url,
            data=json.dumps({**body, "note": f"{label}-{n}"}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                statuses[answer.status] += 1
        except urllib.error.HTTPError as refused:
            statuses[refused.code] += 1
        except OSError:
            statuses[0] += 1
    return statuses


def backup_while_writing(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """`matchmaker backup` run as the operator would, while the writes go on."""
    destination = tmp_path / "during.backup"
    return subprocess.run(
        [str(Path(sys.executable).with_name("matchmaker")), "backup", str(destination)],
        cwd=ROOT,
        env=server_env(database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_four_workers_take_a_thousand_concurrent_writes(app, session, tmp_path):
    world = build(app, session)
    url = app.config["DATABASE_URL"]
    # The backup meanwhile is SQLite's online backup. pg_dump reads an MVCC snapshot by
    # design, and on the shared test server it would dump (and wait on the locks of) every
    # other test run's schema too.
    sqlite = make_url(url).get_backend_name() == "sqlite"
    # Both parties of both published pairings write at once: two clients per pairing.
    clients = [
        (world.secrets["demand"], world.pairings["a"], "demand-a"),
        (world.secrets["supply"], world.pairings["a"], "supply-a"),
        (world.secrets["demand_b"], world.pairings["b"], "demand-b"),
        (world.secrets["supply_b"], world.pairings["b"], "supply-b"),
    ]
    assert len(clients) == CLIENTS
    results: dict[str, Counter] = {}
    with gunicorn(url, tmp_path) as base:
        deadline = time.monotonic() + WRITE_SECONDS

        def client(token: str, pairing: int, label: str) -> None:
            results[label] = record_steps(base, token, pairing, label, deadline)

        threads = [threading.Thread(target=client, args=args) for args in clients]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(2)  # the backup starts once the writes are under way
        backup = backup_while_writing(url, tmp_path) if sqlite else None
        for thread in threads:
            thread.join(timeout=WRITE_SECONDS + 60)
        elapsed = time.monotonic() - started
    log = (tmp_path / "gunicorn.log").read_text()
    total = sum(results.values(), Counter())
    assert total == Counter({201: CLIENTS * WRITES_PER_CLIENT}), (total, log[-3000:])
    assert "database is locked" not in log
    if backup is not None:
        assert backup.returncode == 0, backup.stdout + backup.stderr
    session.expire_all()
    notes = set(
        session.exec(
            select(DockingEvent.note).where(
                col(DockingEvent.recommendation_id).in_([world.pairings["a"], world.pairings["b"]])
            )
        )
    )
    missing = [
        f"{label}-{n}"
        for _token, _pairing, label in clients
        for n in range(WRITES_PER_CLIENT)
        if f"{label}-{n}" not in notes
    ]
    assert missing == []
    if sqlite:
        copy = sqlite3.connect(tmp_path / "during.backup")
        try:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            in_copy = copy.execute("SELECT count(*) FROM dockingevent").fetchone()[0]
        finally:
            copy.close()
        assert 1 <= in_copy <= len(notes) + 1  # a consistent moment of the burst
    print(f"{CLIENTS * WRITES_PER_CLIENT} writes in {elapsed:.1f}s through {WORKERS} workers")
