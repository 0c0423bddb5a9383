"""The full re-match on a Dask LocalCluster at the product brief's scale (100k × 1M).

    python benchmarks/scale_dask.py                       # 100k x 1M, 2 workers of 6 GiB
    python benchmarks/scale_dask.py --size 20kx200k --workers 1 2 --side both

Every figure comes from this run: the synthetic lists (matchmaker.matching.synthetic), the fit
in this process, then for each worker count a fresh LocalCluster doing the re-match, timed by
stage from Dask's own task stream (compute seconds summed over workers). Beside it, the
one-process re-match of the same fitted matcher is the baseline, when --baseline is given
(at 100k x 1M it needs more memory than the cluster run). Peak memory is each worker
process's own maximum resident size.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import threading
import time
from collections import defaultdict
from typing import Any

import dask
from distributed import Client, LocalCluster

from matchmaker.matching import Matcher, MatcherConfig, distributed
from matchmaker.matching.synthetic import synthetic

SIZES = {
    "5kx20k": (5_000, 20_000),
    "20kx200k": (20_000, 200_000),
    "50kx200k": (50_000, 200_000),
    "100kx1M": (100_000, 1_000_000),
}
STAGES = {  # task-name prefix → what it does
    "_transposed": "shard search index",
    "_candidates": "candidate products and parts",
    "_finished": "merge across shards, feedback",
    "explain": "explanations",
    "take": "rows cut for the explanations",
}


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class MemoryWatch(threading.Thread):
    """Each worker's largest resident memory and largest spill to disk, from the scheduler's
    heartbeat metrics.

    (The workers' own ru_maxrss is no use here: a forked worker starts with the client's.)
    """

    def __init__(self, client: Client):
        super().__init__(daemon=True)
        self.client, self.done = client, threading.Event()
        self.peaks: defaultdict[str, float] = defaultdict(float)
        self.spilled: defaultdict[str, float] = defaultdict(float)

    def run(self) -> None:
        while not self.done.wait(0.5):
            # A cluster that is shutting down answers without its workers.
            for address, worker in self.client.scheduler_info().get("workers", {}).items():
                metrics = worker["metrics"]
                self.peaks[address] = max(self.peaks[address], metrics["memory"] / 2**20)
                on_disk = metrics.get("spilled_bytes", {}).get("disk", 0) / 2**20
                self.spilled[address] = max(self.spilled[address], on_disk)


def _stage_seconds(stream: list[dict[str, Any]]) -> dict[str, float]:
    """Compute seconds per stage, summed over the task stream's tasks."""
    seconds: dict[str, float] = defaultdict(float)
    for task in stream:
        name = task["key"][0] if isinstance(task["key"], tuple) else task["key"]
        prefix = next((p for p in STAGES if name.startswith(p) or p in name), "other")
        for part in task["startstops"]:
            if part["action"] == "compute":
                seconds[prefix] += part["stop"] - part["start"]
    return seconds


def run_on_cluster(
    fitted: Matcher, workers: int, memory_limit: str, sides: list[str], shard_rows: int
) -> dict[str, Any]:
    """One re-match per side on a fresh cluster of ``workers``; its figures."""
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            memory_limit=memory_limit,
            dashboard_address=":0",  # any free port: no clash with another cluster here
        ) as cluster,
        Client(cluster) as client,
    ):
        figures: dict[str, Any] = {"sides": {}}
        watch = MemoryWatch(client)
        watch.start()
        for side in sides:
            client.get_task_stream()  # starts recording from here
            with dask.config.set({"distributed.diagnostics.computations.max-history": 0}):
                start = time.perf_counter()
                blocks_done: list[float] = []

                def block_done(_rows: int, done: list[float] = blocks_done) -> None:
                    done.append(time.perf_counter())

                found = distributed.rematch(
                    fitted,
                    client,
                    side=side,  # type: ignore[arg-type]
                    shard_rows=shard_rows,
                    progress=block_done,
                )
                wall = time.perf_counter() - start
            stream = client.get_task_stream(start=start)
            figures["sides"][side] = {
                "wall_s": wall,
                "recommendations": len(found),
                "blocks": len(blocks_done),
                "first_block_s": blocks_done[0] - start if blocks_done else None,
                "stages_s": dict(_stage_seconds(stream)),
                "tasks": len(stream),
            }
        watch.done.set()
        watch.join()
        figures["worker_peak_mib"] = sorted(watch.peaks.values())
        figures["worker_spilled_mib"] = sorted(watch.spilled.values())
    return figures


def main() -> None:
    """Fit once, re-match on clusters of each worker count, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="100kx1M")
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--memory-limit", default="6GiB")
    parser.add_argument("--side", choices=["scenario", "capability", "both"], default="scenario")
    parser.add_argument("--shard-rows", type=int, default=distributed.SHARD_ROWS)
    parser.add_argument("--baseline", action="store_true", help="also re-match in this process")
    args = parser.parse_args()
    sides = ["scenario", "capability"] if args.side == "both" else [args.side]
    n_s, n_c = SIZES[args.size]
    print(
        f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}; Python {platform.python_version()}"
    )

    start = time.perf_counter()
    scenarios, capabilities = synthetic(n_s, n_c)
    print(f"synthetic lists {n_s:,} x {n_c:,}: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    fitted = Matcher(MatcherConfig()).fit(scenarios, capabilities)
    del scenarios, capabilities
    print(
        f"fit (vocabulary, IDF, latent axes, both indexes): {time.perf_counter() - start:.1f} s, "
        f"client peak RSS {_peak_rss_mib():,.0f} MiB"
    )

    if args.baseline:
        for side in sides:
            start = time.perf_counter()
            local = fitted.rematch(side=side)  # type: ignore[arg-type]
            print(
                f"one process, side={side}: {time.perf_counter() - start:.1f} s, "
                f"{len(local):,} recommendations, peak RSS {_peak_rss_mib():,.0f} MiB"
            )
            del local

    walls: dict[int, float] = {}
    for workers in args.workers:
        figures = run_on_cluster(fitted, workers, args.memory_limit, sides, args.shard_rows)
        walls[workers] = sum(side["wall_s"] for side in figures["sides"].values())
        print(f"\n{workers} worker(s) of {args.memory_limit}, shards of {args.shard_rows:,} rows:")
        for side, f in figures["sides"].items():
            print(
                f"  side={side}: wall {f['wall_s']:.1f} s, {f['recommendations']:,} "
                f"recommendations, {f['blocks']} blocks, {f['tasks']} tasks, "
                f"first block after {f['first_block_s']:.1f} s"
            )
            total = sum(f["stages_s"].values()) or 1.0
            for prefix, seconds in sorted(f["stages_s"].items(), key=lambda kv: -kv[1]):
                label = STAGES.get(prefix, "other (scatter, transfers)")
                print(f"    {label:<34} {seconds:8.1f} s compute  {seconds / total:5.1%}")
        print(
            f"  worker peak RSS (MiB): {', '.join(f'{m:,.0f}' for m in figures['worker_peak_mib'])}"
        )
        spilled = ", ".join(f"{m:,.0f}" for m in figures["worker_spilled_mib"])
        print(f"  worker peak spilled to disk (MiB): {spilled}")
    if len(walls) > 1:
        base = min(walls)
        for workers, wall in sorted(walls.items()):
            if workers != base:
                print(f"speed-up with {workers} workers vs {base}: {walls[base] / wall:.2f}x")
    print(f"client peak RSS {_peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
