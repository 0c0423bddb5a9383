"""Start-up and the whole re-match: `matchmaker --help`, and `matchmaker match` on the seed.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--postgres URL]

Builds a temporary SQLite database with the seed lists (`matchmaker init-db`, `seed`, and a
first `match`), then times, one after the other and `--runs` times each, from the shell's
point of view (a new process every time): the interpreter alone (`python -c pass`), Flask
alone (`python -c "import flask"`), `matchmaker --help`, and `matchmaker match` end to end
(start-up, refit, re-match, and storing what changed; nothing changes after the first run, so
`match` is also timed on a database whose stored pairings were all deleted first, where it
stores every one of them in bulk). With `--postgres`, the two `match` runs are repeated on a
database created on that server (dropped afterwards).

Each is run once before it is timed, with bytecode caching on, so that the timed runs read
compiled modules as an installed package does (a checkout run with PYTHONDONTWRITEBYTECODE
compiles the app's hundred modules on every start).

Printed: the median wall time and the median CPU time (user + system) of each, beside the
targets (`--help` < 0.5 s, `match` ≤ 1.5 s). On a shared host the wall time follows the
load; the CPU time follows it much less, and the two floors measured in the same run show
what the host gives a process at that moment.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from load import MATCHMAKER, ROOT, cpu_model, prepare_database
from writes import postgres_database


class Timing(NamedTuple):
    name: str
    wall: float  # median seconds
    cpu: float  # median seconds, user + system
    target: float | None


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `command` (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(
    name: str,
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    runs: int,
    target: float | None = None,
    before_each: Callable[[], None] | None = None,
) -> Timing:
    """The medians of `runs` runs of `command`, each after `before_each`, after one run that
    is not counted (it writes the bytecode caches an installed package would have)."""
    walls, cpus = [], []
    for run in range(runs + 1):
        if before_each:
            before_each()
        wall, cpu = timed(command, env, cwd)
        if run:
            walls.append(wall)
            cpus.append(cpu)
    timing = Timing(name, statistics.median(walls), statistics.median(cpus), target)
    print(f"  {name}: {timing.wall:.2f} s wall, {timing.cpu:.2f} s CPU", flush=True)
    return timing


def forget_pairings(env: dict[str, str]) -> Callable[[], None]:
    """A step that deletes every stored pairing (so that `match` stores them all again)."""
    script = (
        "from sqlalchemy import create_engine, text\n"
        "import os\n"
        "engine = create_engine(os.environ['DATABASE_URL'])\n"
        "with engine.begin() as conn:\n"
        "    conn.execute(text('DELETE FROM recommendation'))\n"
    )
    return lambda: subprocess.run([sys.executable, "-c", script], env=env, check=True)


def matches(label: str, env: dict[str, str], folder: Path, runs: int) -> list[Timing]:
    """`matchmaker match` with nothing to change, and with every pairing to store."""
    match = [str(MATCHMAKER), "match"]
    return [
        measure(f"matchmaker match, {label}, nothing changed", match, env, folder, runs, 1.5),
        measure(
            f"matchmaker match, {label}, every pairing stored anew",
            match,
            env,
            folder,
            runs,
            1.5,
            before_each=forget_pairings(env),
        ),
    ]


def table(timings: list[Timing]) -> str:
    """The medians as a Markdown table, each beside its target."""
    lines = [
        "| run | wall s (median) | CPU s (median) | target |",
        "|---|---:|---:|---|",
    ]
    for t in timings:
        target = "–"
        if t.target is not None:
            verdict = "met" if t.wall < t.target else "**not met**"
            target = f"< {t.target} s: {verdict}"
        lines.append(f"| {t.name} | {t.wall:.2f} | {t.cpu:.2f} | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each (5); medians shown")
    parser.add_argument("--postgres", metavar="URL", help="also on a database on this server")
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"nproc {os.cpu_count()}, {cpu_model()}, load average {os.getloadavg()[0]:.1f}, "
        f"commit {commit}; {args.runs} runs each",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="mm-startup-") as temp:
        folder = Path(temp)
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "DATABASE_URL": f"sqlite:///{folder / 'startup.db'}",
            "SECRET_KEY": "startup-benchmark",
            "MATCHER_PATH": str(folder / "matcher.npz"),
            "REDIS_URL": "",
        }
        print("Preparing the seed database:", flush=True)
        prepare_database(folder, env)
        python = [sys.executable, "-c"]
        print("Timing:", flush=True)
        timings = [
            measure("python -c pass", [*python, "pass"], env, folder, args.runs),
            measure("python -c 'import flask'", [*python, "import flask"], env, folder, args.runs),
            measure("matchmaker --help", [str(MATCHMAKER), "--help"], env, folder, args.runs, 0.5),
            *matches("SQLite", env, folder, args.runs),
        ]
        if args.postgres:
            with postgres_database(args.postgres) as url:
                pg = {**env, "DATABASE_URL": url, "MATCHER_PATH": str(folder / "pg.npz")}
                print("Preparing the seed database on PostgreSQL:", flush=True)
                prepare_database(folder, pg)
                timings += matches("PostgreSQL", pg, folder, args.runs)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end\n")
    print(table(timings))


if __name__ == "__main__":
    main()
