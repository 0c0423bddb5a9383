"""gunicorn settings for production: `gunicorn -c python:matchmaker.ops.gunicorn ...`.

gunicorn reads this module's names as its settings and calls its hooks. It refuses to start
several workers that would each count sign-in attempts in their own memory.
"""

import os
from collections.abc import Mapping
from typing import Any

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
