"""Serving in production with gunicorn: what the master refuses before any worker starts."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from matchmaker.ops.gunicorn import limits_problem

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def gunicorn(tmp_path: Path, *args: str, port: int = 0, **env: str) -> subprocess.Popen:
    """The production recipe's gunicorn, on a free port, with a fresh SQLite database."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    environ.update(
        MATCHMAKER_ENV="production",
        SECRET_KEY="serving-test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'serving.db'}",
        REDIS_URL="",
        **env,
    )
    return subprocess.Popen(
        [
            str(GUNICORN),
            "-c",
            "python:matchmaker.ops.gunicorn",
            "-b",
            f"127.0.0.1:{port}",
            *args,
            "matchmaker:create_app()",
        ],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_production_refuses_several_workers_counting_sign_ins_apart(tmp_path):
    """Four workers counting in memory let 36 of 40 attempts through: the server will not start."""
    server = gunicorn(tmp_path, "-w", "4")
    output, _ = server.communicate(timeout=120)
    assert server.returncode != 0
    assert "4 workers would each count sign-in attempts in their own memory" in output
    assert "Booting worker" not in output


@pytest.mark.parametrize(
    "environ, workers, refused",
    [
        ({"MATCHMAKER_ENV": "production"}, 4, True),
        ({"MATCHMAKER_ENV": "production"}, 1, False),
        ({"MATCHMAKER_ENV": "production", "REDIS_URL": "redis://127.0.0.1:6379/0"}, 4, False),
        ({"MATCHMAKER_ENV": "production", "MATCHMAKER_PER_WORKER_LIMITS": "1"}, 4, False),
        ({"MATCHMAKER_ENV": "development"}, 4, False),
    ],
    ids=["memory", "one-worker", "redis", "explicitly-allowed", "development"],
)
def test_only_shared_counts_or_an_explicit_choice_let_several_workers_start(
    environ, workers, refused
):
    assert (limits_problem(environ, workers) is not None) is refused


def test_the_recipe_serves_from_workers_forked_off_a_preloaded_app(tmp_path):
    """The settings module's hooks run: templates compiled in the master, each worker's
    inherited database connections dropped, and the forked workers answer."""
    port = free_port()
    server = gunicorn(tmp_path, "-w", "2", port=port, MATCHMAKER_PER_WORKER_LIMITS="1")
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=5
                ) as answer:
                    assert json.load(answer) == {"status": "ok", "database": "ok"}
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        assert (tmp_path / "matchmaker.pid").read_text().strip() == str(server.pid)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert "Booting worker" in output and "Traceback" not in output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
