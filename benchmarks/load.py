"""Load test: requests/s and p95 latency of three pages under gunicorn, next to a "hello" app.

    .venv/bin/python benchmarks/load.py [--seconds 15] [--connections 8] [--workers N]

Builds a temporary SQLite database with the seed lists (458 scenarios, 1000 capabilities:
`matchmaker init-db`, `seed`, `match`), serves it with gunicorn on a free loopback port, and
loads, one after the other, the public scenario list, a live search as htmx asks for it, and
the officials' review queue (signed in as the seed's official). Then benchmarks/hello.py is
served with the same gunicorn settings and loaded the same way: its figures are the ceiling
the platform's are divided by. The load generator is wrk (installed from Debian with apt-get
if missing), bounded by --seconds per target, on 127.0.0.1 only.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
MATCHMAKER = Path(sys.executable).with_name("matchmaker")
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
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


def prepare_database(folder: Path, env: dict[str, str]) -> None:
    """The seed lists, loaded and matched, as `make run` would serve them."""
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


def check(url: str, headers: dict[str, str]) -> None:
    """The target answers 200 before it is loaded (a benchmark of error pages is no use)."""
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as answer:
        if answer.status != 200:
            raise SystemExit(f"{url} answered {answer.status}")


def load(wrk: list[str], server: Server, name: str, path: str, headers: dict[str, str]) -> Result:
    """Warm every worker up (each compiles its templates on first use), then load `path`; the
    figures. `wrk` is the command with the options every target shares, duration included."""
    url = server.base + path
    check(url, headers)
    header_args = [part for key, value in headers.items() for part in ("-H", f"{key}: {value}")]
    warm_up = [arg for arg in wrk if not arg.startswith("-d")]
    subprocess.run([*warm_up, *header_args, "-d5s", url], check=True, capture_output=True)
    cpu_before = cpu_seconds(server.pid)
    output = subprocess.run(
        [*wrk, *header_args, url], check=True, capture_output=True, text=True
    ).stdout
    cpu = cpu_seconds(server.pid) - cpu_before
    figures = json.loads(output.strip().splitlines()[-1])
    requests = figures["requests"]
    result = Result(
        name,
        requests / figures["seconds"],
        figures["p50_ms"],
        figures["p95_ms"],
        requests,
        figures["errors"],
        cpu * 1000 / requests if requests else 0.0,
    )
    print(
        f"  {name}: {result.rps:.1f} req/s, p95 {result.p95_ms:.0f} ms, "
        f"{result.cpu_ms:.1f} CPU ms/request",
        flush=True,
    )
    return result


def table(results: list[Result], ceiling: Result) -> str:
    """The figures as a Markdown table, each target beside the hello app."""
    cores = os.cpu_count() or 1
    lines = [
        "| target | requests/s | p50 ms | p95 ms | requests | errors | vs hello "
        "| server CPU ms/request | CPU-bound ceiling req/s | vs hello |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in [*results, ceiling]:
        ratio = r.rps / ceiling.rps if ceiling.rps else 0.0
        bound = cores * 1000 / r.cpu_ms if r.cpu_ms else 0.0
        cpu_ratio = ceiling.cpu_ms / r.cpu_ms if r.cpu_ms else 0.0
        lines.append(
            f"| {r.name} | {r.rps:.1f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.requests} "
            f"| {r.errors} | {ratio:.3f} | {r.cpu_ms:.1f} | {bound:.0f} | {cpu_ratio:.3f} |"
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
        "--keep",
        type=Path,
        help="a folder for the database, kept and reused by later runs (default: a temporary one)",
    )
    args = parser.parse_args()
    users = json.loads((ROOT / "seed/data/users.json").read_text(encoding="utf-8"))
    official = next(u for u in users if u["role"] == "official")
    print(
        f"nproc {os.cpu_count()}, {cpu_model()}, load average {os.getloadavg()[0]:.1f}; "
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
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder / 'load.db'}",
            "SECRET_KEY": "load-test",
            "MATCHER_PATH": str(folder / "matcher.pkl"),
            "REDIS_URL": "",
            "MATCHMAKER_ENV": "development",
        }
        print("Preparing the seed database:", flush=True)
        prepared = folder / "load.db.prepared"  # written once init-db, seed and match are done
        if prepared.exists():
            print(f"  reusing {folder / 'load.db'}", flush=True)
        else:
            (folder / "load.db").unlink(missing_ok=True)
            prepare_database(folder, env)
            prepared.touch()
        instance = str(folder / "instance")
        app = f"matchmaker:create_app(test_config={{'INSTANCE_PATH': {instance!r}}})"
        results = []
        print("Loading the platform:", flush=True)
        with gunicorn(app, free_port(), args.workers, env, ROOT) as server:
            cookie = sign_in(server.base, official["email"], official["password"])
            htmx = {"HX-Request": "true", "HX-Target": "results"}
            targets = [
                ("scenario list", "/scenarios/", {}),
                (f"search ?q={args.query} (htmx)", f"/scenarios/?q={quote(args.query)}", htmx),
                ("review queue (official)", "/review/", {"Cookie": cookie}),
            ]
            for name, path, headers in targets:
                results.append(load(wrk, server, name, path, headers))
        print("Loading the hello app (same gunicorn settings):", flush=True)
        with gunicorn("hello:app", free_port(), args.workers, env, ROOT / "benchmarks") as server:
            ceiling = load(wrk, server, "hello (Flask, same gunicorn)", "/", {})
    print()
    print(table(results, ceiling))


if __name__ == "__main__":
    main()
