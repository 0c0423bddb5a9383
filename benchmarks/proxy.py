"""The scenario list as visitors get it through nginx (docs/nginx-cache.conf), beside the same
page straight from gunicorn and the hello app, in one run.

    .venv/bin/python benchmarks/proxy.py [--seconds 20] [--keep FOLDER]

Uses benchmarks/load.py's database (built, or reused with --keep) and server settings. nginx
(Debian's nginx-light, installed with apt-get if missing) runs in the foreground on a free
loopback port with the configuration in docs/nginx-cache.conf; wrk asks for /scenarios/ with
no cookie, as a visitor's first visit does. Figures: requests/s, and the CPU per request of
gunicorn (master and workers) and of nginx (master and workers), from /proc.
"""

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import load  # benchmarks/load.py, beside this file

CONFIG = load.ROOT / "docs" / "nginx-cache.conf"
MAIN = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    {server}
}}
"""


def ensure_nginx() -> str:
    """nginx's path, installing Debian's nginx-light first if it is missing."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found:
        return found
    print("nginx is missing; installing it from Debian (apt-get install nginx-light)", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=True)
    return "/usr/sbin/nginx"


@contextmanager
def nginx(upstream: str, port: int, folder: Path):  # type: ignore[no-untyped-def]
    """nginx with docs/nginx-cache.conf on 127.0.0.1:`port`, in front of `upstream`."""
    server = (
        CONFIG.read_text()
        .replace("@UPSTREAM@", upstream)
        .replace("@LISTEN@", f"127.0.0.1:{port}")
        .replace("@CACHE@", str(folder / "cache"))
    )
    conf = folder / "nginx.conf"
    conf.write_text(MAIN.format(folder=folder, server=server))
    process = subprocess.Popen(
        [ensure_nginx(), "-c", str(conf), "-p", str(folder), "-g", "daemon off;"]
    )
    try:
        deadline = time.monotonic() + 30
        while not (folder / "nginx.pid").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"nginx did not start: {(folder / 'error.log').read_text()}")
            time.sleep(0.2)
        yield load.Server(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def measured(
    wrk: list[str], url: str, name: str, app: load.Server, proxy: load.Server
) -> tuple[load.Result, float, float]:
    """Warm up, then load `url`: the figures, and gunicorn's and nginx's CPU per request."""
    warm_up = [arg for arg in wrk if not arg.startswith("-d")]
    subprocess.run([*warm_up, "-d5s", url], check=True, capture_output=True)
    app_before, proxy_before = load.cpu_seconds(app.pid), load.cpu_seconds(proxy.pid)
    output = subprocess.run([*wrk, url], check=True, capture_output=True, text=True).stdout
    app_cpu = load.cpu_seconds(app.pid) - app_before
    proxy_cpu = load.cpu_seconds(proxy.pid) - proxy_before
    figures = json.loads(output.strip().splitlines()[-1])
    requests = figures["requests"] or 1
    result = load.Result(
        name,
        figures["requests"] / figures["seconds"],
        figures["p50_ms"],
        figures["p95_ms"],
        figures["requests"],
        figures["errors"],
        proxy_cpu * 1000 / requests,
    )
    print(f"  {name}: {result.rps:.1f} req/s", flush=True)
    return result, app_cpu * 1000 / requests, proxy_cpu * 1000 / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="load per target (default 20)")
    parser.add_argument("--connections", type=int, default=8, help="open connections (8)")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument("--keep", type=Path, help="load.py's database folder, reused")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mm-proxy-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        env = {**load.server_env(folder), "TRUSTED_PROXIES": "1"}
        if not any(folder.glob("load.db.prepared-*")):
            (folder / "load.db").unlink(missing_ok=True)
            load.prepare_database(folder, env, 100_000)
            (folder / "load.db.prepared-100000").touch()
        script = folder / "report.lua"
        script.write_text(load.WRK_REPORT)
        wrk = [load.ensure_wrk(), "-t2", f"-c{args.connections}", "--timeout", "30s"]
        wrk += ["-s", str(script), f"-d{args.seconds}s"]
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=load.ROOT, capture_output=True, text=True
        ).stdout.strip()
        print(
            f"commit {commit}; nproc {os.cpu_count()}, load average "
            f"{' '.join(f'{n:.1f}' for n in os.getloadavg())}",
            flush=True,
        )
        instance = str(folder / "instance")
        app = f"matchmaker:create_app(test_config={{'INSTANCE_PATH': {instance!r}}})"
        page = load.Target("scenario list, visitor", "/scenarios/", {})
        rows = []
        with load.gunicorn(app, load.free_port(), args.workers, env, load.ROOT) as server:
            proxy_folder = folder / "nginx"
            shutil.rmtree(proxy_folder, ignore_errors=True)
            proxy_folder.mkdir()
            upstream = server.base.removeprefix("http://")
            with nginx(upstream, load.free_port(), proxy_folder) as proxy:
                rows.append(measured(wrk, proxy.base + page.path, "through nginx", server, proxy))
            direct = load.load(wrk, server, page._replace(name="straight from gunicorn"))
            rows.append((direct, direct.cpu_ms, 0.0))
        with load.gunicorn(
            "hello:app", load.free_port(), args.workers, env, load.ROOT / "benchmarks"
        ) as hello:
            ceiling = load.load(wrk, hello, load.Target("hello (Flask, same gunicorn)", "/", {}))
            rows.append((ceiling, ceiling.cpu_ms, 0.0))
    print()
    print(f"load average at the end {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    print(
        "| /scenarios/, no cookie | requests/s | vs hello | gunicorn CPU ms/request "
        "| nginx CPU ms/request | p50 ms | p95 ms | requests | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result, app_ms, nginx_ms in rows:
        print(
            f"| {result.name} | {result.rps:.1f} | {result.rps / ceiling.rps:.2f} | {app_ms:.3f} "
            f"| {nginx_ms:.3f} | {result.p50_ms:.1f} | {result.p95_ms:.1f} | {result.requests} "
            f"| {result.errors} |"
        )


if __name__ == "__main__":
    main()
