"""gunicorn settings for production: `gunicorn -c python:matchmaker.ops.gunicorn ...`.

gunicorn reads this module's names as its settings and calls its hooks. The app is built
once, in the master (`preload_app`), and workers are forked from it: a new worker serves at
once instead of importing the app for seconds, so a reload has no gap (docs/load.md):

    kill -USR2 $(cat matchmaker.pid)  # a new master (new code) starts: pid in matchmaker.pid.2
    # once the new master has its workers (they serve beside the old ones, on the same socket):
    kill -TERM $(cat matchmaker.pid)  # old workers finish their requests; the old master leaves
    # and the new master renames matchmaker.pid.2 to matchmaker.pid

(gunicorn's WINCH, which stops the old workers first, works only for a daemonized master.)

`kill -HUP` also reloads without a gap with these settings, but keeps the loaded code: it is
for configuration changes only. The master refuses to start several workers that would each
count sign-in attempts in their own memory.
"""

import os
from collections.abc import Mapping
from typing import Any

preload_app = True
pidfile = os.environ.get("MATCHMAKER_PIDFILE", "matchmaker.pid")
# Sync workers end a request within this many seconds or are replaced; uploads are bounded
# well below it (spreadsheets.files.READ_CPU_SECONDS).
timeout = 30
graceful_timeout = 30

# Set to 1 to run several workers with per-worker rate-limit counts anyway (each worker then
# allows the full limit, so an address gets workers × the limit).
PER_WORKER_LIMITS = "MATCHMAKER_PER_WORKER_LIMITS"


def limits_problem(environ: Mapping[str, str], workers: int) -> str | None:
    """Why a server of `workers` processes must not start with this environment, or None."""
    if (
        environ.get("MATCHMAKER_ENV") == "production"
        and workers > 1
        and not environ.get("REDIS_URL")
        and environ.get(PER_WORKER_LIMITS) != "1"
    ):
        return (
            f"{workers} workers would each count sign-in attempts in their own memory, "
            f"allowing {workers} times the limit. Set REDIS_URL so that they share the counts, "
            f"run one worker, or set {PER_WORKER_LIMITS}=1 to accept per-worker limits."
        )
    return None


def on_starting(server: Any) -> None:
    """gunicorn hook, in the master before any worker starts: refuse unsafe rate limiting."""
    problem = limits_problem(os.environ, server.cfg.workers)
    if problem:
        server.log.error("matchmaker: %s", problem)
        raise SystemExit(1)


def when_ready(server: Any) -> None:
    """gunicorn hook, in the master before it forks workers: compile every template once.

    Jinja compiles a template on its first use in a process; done here, every forked worker
    inherits the compiled templates instead of spending its first requests compiling them.
    """
    environment = server.app.wsgi().jinja_env
    for name in environment.list_templates(extensions=["html"]):
        environment.get_template(name)


def post_fork(server: Any, worker: Any) -> None:
    """gunicorn hook, in each new worker: drop database connections inherited from the master.

    A connection shared by two processes corrupts both ends' protocol state; close=False
    leaves the master's own sockets alone (SQLAlchemy's advice for forking).
    """
    server.app.wsgi().extensions["engine"].dispose(close=False)
