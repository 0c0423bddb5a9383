"""Load test: server CPU per request, requests/s and p95 of the pages under gunicorn, each
next to its target (issue 12) and to a "hello" app served the same way in the same run.

    .venv/bin/python benchmarks/load.py [--seconds 20] [--connections 8] [--workers N]

Builds a temporary SQLite database with the seed lists (458 scenarios, 1000 capabilities:
`matchmaker init-db`, `seed`, `match`), then adds synthetic pairings awaiting review until the
recommendation table holds --recommendations rows (100,000: each a scenario still open and a
capability the matcher did not pair, with a real pairing's explanation and a score spread
over the real ones). It serves the database with gunicorn on a free loopback port and loads,
one after the other: the public lists, a live search as htmx asks for it, a scenario's page
as a visitor sees it, a scenario's and a capability's page with their pairings as an official
sees them, the review queue and the dashboard (signed in as the seed's official), and a
visitor's repeat visit to the scenario list that sends back its ETag (answered 304). Then
benchmarks/hello.py is served with the same gunicorn settings and loaded the same way. The
load generator is wrk (installed from Debian with apt-get if missing), bounded by --seconds
per target, on 127.0.0.1 only.

Server CPU per request is the figure the targets are set in: user + system time of gunicorn's
master and workers (from /proc) over the load, divided by the requests served; on a shared
host it moves much less than requests/s do.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
MATCHMAKER = Path(sys.executable).with_name("matchmaker")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# wrk reports p50/p90/p99 only; this script makes it print the percentiles wanted, as JSON.
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "errors": %d, "non_2xx_3xx": %d, '
    .. '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f}\\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


class Target(NamedTuple):
    name: str
    path: str
    headers: dict[str, str]
    cpu_ms: float | None = None  # the most server CPU a request may take
    hello_share: float | None = None  # the least requests/s, as a share of hello's
    warm_up: int = 5  # seconds of load before the measured run (every worker fills its caches)


class Result(NamedTuple):
    name: str
    rps: float
    p50_ms: float
    p95_ms: float
    requests: int
    errors: int
    cpu_ms: float  # the server's CPU time (all workers) per request: what the host's load
    # does not change much, unlike requests/s and latency on a shared machine


class Server(NamedTuple):
    base: str  # http://127.0.0.1:port
    pid: int  # gunicorn's master; its children are the workers


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ticks = 0
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def ensure_wrk() -> str:
    """wrk's path, installing the Debian package first if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing; installing it from Debian (apt-get install wrk)", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def server_env(folder: Path) -> dict[str, str]:
    """The environment the benchmark's app runs in: its SQLite file and matcher in `folder`."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'load.db'}",
        "SECRET_KEY": "load-test",
        "MATCHER_PATH": str(folder / "matcher.pkl"),
        "REDIS_URL": "",
        "MATCHMAKER_ENV": "development",
    }


def prepare_database(folder: Path, env: dict[str, str], recommendations: int = 0) -> None:
    """The seed lists, loaded and matched, as `make run` would serve them; then, on the
    SQLite file load.db, synthetic pairings awaiting review up to `recommendations` rows."""
    for command in (["init-db"], ["seed"], ["match"]):
        started = time.monotonic()
        subprocess.run(
            [str(MATCHMAKER), *command],
            cwd=folder,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"  matchmaker {command[0]}: {time.monotonic() - started:.0f}s", flush=True)
    if not recommendations:
        return
    started = time.monotonic()
    with sqlite3.connect(folder / "load.db") as db:
        before = db.execute("SELECT count(*) FROM recommendation").fetchone()[0]
        db.execute(
            FILL,
            (
                datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
                max(0, recommendations - before),
            ),
        )
        after = db.execute("SELECT count(*) FROM recommendation").fetchone()[0]
    # Rows written past the app leave their tally slices marked, and a marked slice is
    # counted live on every page; the app settles its own writes, an operator these.
    subprocess.run(
        [str(MATCHMAKER), "recount"], cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL
    )
    print(
        f"  {after - before} synthetic pairings, {after} in all: {time.monotonic() - started:.0f}s",
        flush=True,
    )


# Pairs of a still-open scenario and a capability the matcher did not pair, in an order that
# spreads them over scenarios, each with the explanation of one of the first 500 real
# pairings and a score below that pairing's.
FILL = """
INSERT INTO recommendation (scenario_id, capability_id, score, parts, terms, matched_tags,
  reasons, source, status, reviewer_id, note, decided_at, batch_id, version, created_at,
  updated_at)
SELECT s.id, c.id, t.score * ((s.id * 31 + c.id * 17) % 1000) / 1000.0, t.parts, t.terms,
  t.matched_tags, t.reasons, 'matcher', 'recommended', NULL, '', NULL, NULL, 1, t.created_at,
  t.updated_at
FROM scenario s CROSS JOIN capability c
JOIN recommendation t ON t.id = (SELECT min(id) FROM recommendation) + (s.id * 7 + c.id) % 500
WHERE (s.deadline IS NULL OR s.deadline >= ?) AND s.status = 'published'
  AND NOT EXISTS (
    SELECT 1 FROM recommendation r WHERE r.scenario_id = s.id AND r.capability_id = c.id)
ORDER BY (s.id * 7919 + c.id * 104729) % 458009
LIMIT ?
"""


def busiest(folder: Path) -> dict[str, int]:
    """The published scenario and capability with the most pairings (their pages list 20)."""
    found = {}
    with sqlite3.connect(folder / "load.db") as db:
        for side, query in BUSIEST.items():
            found[side] = db.execute(query).fetchone()[0]
    return found


BUSIEST = {
    side: f"SELECT r.{side}_id FROM recommendation r JOIN {side} e ON e.id = r.{side}_id "  # noqa: S608  (two literal names)
    f"WHERE e.status = 'published' GROUP BY r.{side}_id ORDER BY count(*) DESC LIMIT 1"
    for side in ("scenario", "capability")
}


@contextmanager
def gunicorn(app: str, port: int, workers: int, env: dict[str, str], chdir: Path):  # type: ignore[no-untyped-def]
    """gunicorn serving `app` on 127.0.0.1:`port`; stopped on leaving."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--preload",
            "--timeout=60",
            "--log-level=warning",
            app,
        ],
        cwd=chdir,
        env=env,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn {app} exited with {server.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn {app} did not start") from None
                time.sleep(0.3)
        yield Server(f"http://127.0.0.1:{port}", server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def sign_in(base: str, email: str, password: str) -> str:
    """Sign in through the login form; the Cookie header of the signed-in browser."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/auth/login") as page:
        token = CSRF.search(page.read().decode()).group(1)
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    with opener.open(f"{base}/auth/login", data=form.encode()) as answer:
        if "/auth/login" in answer.url:
            raise SystemExit(f"could not sign in as {email}")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def check(url: str, headers: dict[str, str], status: int) -> None:
    """The target answers as expected before it is loaded (a benchmark of error pages is no
    use; the repeat visit must really be answered 304)."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            got = answer.status
    except urllib.error.HTTPError as error:  # urllib raises on 304
        got = error.code
    if got != status:
        raise SystemExit(f"{url} answered {got}, not {status}")


def etag(url: str) -> str:
    """The ETag a visitor's browser keeps from its first visit."""
    with urllib.request.urlopen(url, timeout=60) as answer:
        tag = answer.headers.get("ETag")
    if not tag:
        raise SystemExit(f"{url} sent no ETag")
    return tag


def load(wrk: list[str], server: Server, target: Target) -> Result:
    """Warm every worker up (each compiles its templates and fills its caches on first use),
    then load the target; the figures. `wrk` is the command with the options every target
    shares, duration included."""
    url = server.base + target.path
    check(url, target.headers, 304 if "If-None-Match" in target.headers else 200)
    header_args = [
        part for key, value in target.headers.items() for part in ("-H", f"{key}: {value}")
    ]
    warm_up = [arg for arg in wrk if not arg.startswith("-d")]
    subprocess.run(
        [*warm_up, *header_args, f"-d{target.warm_up}s", url], check=True, capture_output=True
    )
    cpu_before = cpu_seconds(server.pid)
    output = subprocess.run(
        [*wrk, *header_args, url], check=True, capture_output=True, text=True
    ).stdout
    cpu = cpu_seconds(server.pid) - cpu_before
    figures = json.loads(output.strip().splitlines()[-1])
    requests = figures["requests"]
    result = Result(
        target.name,
        requests / figures["seconds"],
        figures["p50_ms"],
        figures["p95_ms"],
        requests,
        figures["errors"],
        cpu * 1000 / requests if requests else 0.0,
    )
    print(
        f"  {target.name}: {result.rps:.1f} req/s, p95 {result.p95_ms:.0f} ms, "
        f"{result.cpu_ms:.2f} CPU ms/request",
        flush=True,
    )
    return result


def verdict(target: Target, result: Result, ceiling: Result) -> tuple[str, bool]:
    """The target in words and whether the result meets it."""
    if target.cpu_ms is not None:
        return f"≤ {target.cpu_ms:g} CPU ms", result.cpu_ms <= target.cpu_ms
    if target.hello_share is not None:
        share = result.rps / ceiling.rps if ceiling.rps else 0.0
        return f"≥ {target.hello_share:g}× hello req/s", share >= target.hello_share
    return "", True


def table(targets: list[Target], results: list[Result], ceiling: Result) -> str:
    """The figures as a Markdown table, each beside its target and the hello app."""
    cores = os.cpu_count() or 1
    lines = [
        "| page | server CPU ms/request | target | met | requests/s | vs hello "
        "| CPU vs hello | p50 ms | p95 ms | requests | errors | CPU-bound ceiling req/s |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for target, r in [
        *zip(targets, results, strict=True),
        (Target(ceiling.name, "/", {}), ceiling),
    ]:
        ratio = r.rps / ceiling.rps if ceiling.rps else 0.0
        bound = cores * 1000 / r.cpu_ms if r.cpu_ms else 0.0
        cpu_ratio = r.cpu_ms / ceiling.cpu_ms if ceiling.cpu_ms else 0.0
        goal, met = verdict(target, r, ceiling)
        mark = ("yes" if met else "**no**") if goal else ""
        lines.append(
            f"| {r.name} | {r.cpu_ms:.2f} | {goal} | {mark} "
            f"| {r.rps:.1f} | {ratio:.2f} | {cpu_ratio:.1f}× | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.requests} | {r.errors} | {bound:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="load per target (default 20)")
    parser.add_argument("--connections", type=int, default=8, help="open connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument("--query", default="平台", help="the live search's words (平台)")
    parser.add_argument(
        "--recommendations",
        type=int,
        default=100_000,
        help="rows in the recommendation table, synthetic ones added (100000)",
    )
    parser.add_argument(
        "--only", help="load only the pages whose name contains this text (hello always)"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="a folder for the database, kept and reused by later runs (default: a temporary one)",
    )
    args = parser.parse_args()
    users = json.loads((ROOT / "seed/data/users.json").read_text(encoding="utf-8"))
    official = next(u for u in users if u["role"] == "official")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"commit {commit or 'unknown'}; nproc {os.cpu_count()}, {cpu_model()}, "
        f"load average {' '.join(f'{n:.1f}' for n in os.getloadavg())}; "
        f"gunicorn {args.workers} sync workers (--preload), wrk -t{args.threads} "
        f"-c{args.connections} -d{args.seconds}s",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="mm-load-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        script = folder / "report.lua"
        script.write_text(WRK_REPORT)
        wrk = [ensure_wrk(), f"-t{args.threads}", f"-c{args.connections}", "--timeout", "30s"]
        wrk += ["-s", str(script), f"-d{args.seconds}s"]
        env = server_env(folder)
        print("Preparing the seed database:", flush=True)
        # Written once init-db, seed, match and the synthetic pairings are done.
        prepared = folder / f"load.db.prepared-{args.recommendations}"
        if prepared.exists():
            print(f"  reusing {folder / 'load.db'}", flush=True)
        else:
            (folder / "load.db").unlink(missing_ok=True)
            prepare_database(folder, env, args.recommendations)
            prepared.touch()
        busy = busiest(folder)
        instance = str(folder / "instance")
        app = f"matchmaker:create_app(test_config={{'INSTANCE_PATH': {instance!r}}})"
        results = []
        print("Loading the platform:", flush=True)
        with gunicorn(app, free_port(), args.workers, env, ROOT) as server:
            official_cookie = {
                "Cookie": sign_in(server.base, official["email"], official["password"])
            }
            htmx = {"HX-Request": "true", "HX-Target": "results"}
            repeat = {"If-None-Match": etag(f"{server.base}/scenarios/")}
            targets = [
                Target("scenario list", "/scenarios/", {}, cpu_ms=3),
                Target("capability list", "/capabilities/", {}, cpu_ms=3),
                Target(
                    f"search ?q={args.query} (htmx fragment)",
                    f"/scenarios/?q={quote(args.query)}",
                    htmx,
                    cpu_ms=3,
                ),
                Target("scenario page (visitor)", f"/scenarios/{busy['scenario']}", {}, cpu_ms=5),
                Target(
                    "scenario page with 20 pairings (official)",
                    f"/scenarios/{busy['scenario']}",
                    official_cookie,
                    cpu_ms=5,
                ),
                Target(
                    "capability page with 20 pairings (official)",
                    f"/capabilities/{busy['capability']}",
                    official_cookie,
                    cpu_ms=5,
                ),
                Target(
                    f"review queue, {args.recommendations:,} recommendations (official)",
                    "/review/",
                    official_cookie,
                    cpu_ms=6,
                ),
                # Each worker computes the figures once per data version: ~1 s of CPU each
                # at 100,000 recommendations, before the steady state this measures.
                Target(
                    "dashboard (official)", "/dashboard/", official_cookie, cpu_ms=12, warm_up=20
                ),
                Target(
                    "scenario list, repeat visit (If-None-Match → 304)",
                    "/scenarios/",
                    repeat,
                    hello_share=0.5,
                ),
            ]
            if args.only:
                targets = [t for t in targets if args.only in t.name]
            for target in targets:
                results.append(load(wrk, server, target))
        print("Loading the hello app (same gunicorn settings):", flush=True)
        with gunicorn("hello:app", free_port(), args.workers, env, ROOT / "benchmarks") as server:
            ceiling = load(wrk, server, Target("hello (Flask, same gunicorn)", "/", {}))
    print()
    print(f"load average at the end {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    print(table(targets, results, ceiling))


if __name__ == "__main__":
    main()
