"""Matcher speed and memory on synthetic lists, against a naive all-pairs baseline.

    python benchmarks/matcher_bench.py                 # 458x1000 and 5kx20k
    python benchmarks/matcher_bench.py --size 50kx200k # the large one (naive part extrapolated)

Every figure comes from this run: the matcher and the naive baseline are measured on the same
lists, each in its own child process so that peak memory is the child's own. Tokens are
generated directly (as the app stores them), so segmentation is not part of any timing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer

from matchmaker.matching import DEFAULT_CAP, Entry, Matcher, MatcherConfig
from matchmaker.matching.synthetic import synthetic

SIZES = {"458x1000": (458, 1000), "5kx20k": (5_000, 20_000), "50kx200k": (50_000, 200_000)}
NAIVE_SAMPLE_ROWS = 500  # scenario rows the naive baseline really computes at the large size
INCREMENTAL_QUERIES = 200


def _peak_mib(run: Callable[[], Any]) -> float:
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def _timed(run: Callable[[], Any]) -> float:
    return _clocked(run)[0]


def _clocked(run: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call of ``run``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20)
    return statistics.median(samples), cuts[18]


class System(NamedTuple):
    """A way to match: a full run over the lists, and a factory of one-entry queries."""

    full: Callable[[list[Entry], list[Entry]], Any]
    incremental: Callable[[list[Entry], list[Entry]], Callable[[Entry], Any]]
    sample_rows: int | None  # at the largest size, time this many scenario rows and scale up


def _measure(system: System, size: str) -> dict[str, float]:
    # Warm-up on the smallest lists: lexicons and caches loaded, as in a running app.
    system.full(*synthetic(*SIZES["458x1000"]))
    scenarios, capabilities = synthetic(*SIZES[size])
    rows = len(scenarios)
    if size == "50kx200k" and system.sample_rows:
        rows = system.sample_rows

    def full() -> None:
        system.full(scenarios[:rows], capabilities)

    # Median of three at the smaller sizes; the largest runs once. CPU time beside wall
    # time, because the host is shared: both systems run on one thread, so on an idle host
    # the two agree, and under load CPU time is the steadier figure.
    repeats = 1 if size == "50kx200k" else 3
    scale = len(scenarios) / rows
    runs = sorted(_clocked(full) for _ in range(repeats))
    seconds, cpu = (t * scale for t in runs[len(runs) // 2])
    query = system.incremental(scenarios, capabilities)
    new_entries, _ = synthetic(INCREMENTAL_QUERIES, 0, seed=1)  # unseen by the fit
    p50, p95 = _percentiles([_timed(lambda e=e: query(e)) for e in new_entries])
    return {
        "full_s": seconds,
        "full_cpu_s": cpu,
        "p50_ms": p50 * 1e3,
        "p95_ms": p95 * 1e3,
        "peak_mib": _peak_mib(full),
        "extrapolated_from_rows": rows if rows < len(scenarios) else 0,
    }


def _matcher_full(scenarios: list[Entry], capabilities: list[Entry]) -> None:
    Matcher(MatcherConfig()).fit(scenarios, capabilities).rematch(k=10, cap=DEFAULT_CAP)


def _matcher_incremental(
    scenarios: list[Entry], capabilities: list[Entry]
) -> Callable[[Entry], Any]:
    matcher = Matcher(MatcherConfig()).fit(scenarios, capabilities)
    return lambda entry: matcher.recommend_for(entry, side="scenario")


def _all_tokens(entry: Entry) -> list[str]:
    return [t for f in ("title", "body", "tags") for t in entry.words[f]]


def _fuzzy_texts(entries: Sequence[Entry]) -> tuple[list[str], list[str]]:
    return (
        [" ".join(e.words["title"]) for e in entries],
        [" ".join(sorted(e.words["phrases"])) for e in entries],
    )


def _naive_incremental(
    scenarios: list[Entry], capabilities: list[Entry]
) -> Callable[[Entry], np.ndarray]:
    """Fit TF-IDF; then each query is scored against every capability, densely."""
    vectorizer = TfidfVectorizer(analyzer=list, sublinear_tf=True)
    vectorizer.fit([_all_tokens(e) for e in (*scenarios, *capabilities)])
    caps = vectorizer.transform([_all_tokens(c) for c in capabilities])
    cap_titles, cap_tags = _fuzzy_texts(capabilities)

    def scores(*queries: Entry) -> np.ndarray:
        # Dense cosine to every capability plus the fuzzy ratio of titles and of tags on
        # every pair (the matcher's scorer, one thread like the matcher); top 10.
        cosine = (vectorizer.transform([_all_tokens(q) for q in queries]) @ caps.T).toarray()
        titles, tags = _fuzzy_texts(queries)
        blended = cosine
        for ours, theirs in ((titles, cap_titles), (tags, cap_tags)):
            ratio = process.cdist(ours, theirs, scorer=fuzz.ratio, dtype=np.float32)
            blended += 0.1 * ratio / 100
        return np.argpartition(-blended, 10, axis=1)[:, :10]

    return scores


def _naive_full(scenarios: list[Entry], capabilities: list[Entry]) -> None:
    scores = _naive_incremental(scenarios, capabilities)
    for start in range(0, len(scenarios), 1000):  # 1000 rows at a time, or memory explodes
        scores(*scenarios[start : start + 1000])


SYSTEMS = {
    "matcher": System(_matcher_full, _matcher_incremental, None),
    "naive": System(_naive_full, _naive_incremental, NAIVE_SAMPLE_ROWS),
}


def measure(system: str, size: str) -> dict[str, float]:
    """Full re-match from stored tokens, incremental p50/p95 and peak memory of ``system``."""
    return _measure(SYSTEMS[system], size)


def _in_child(system: str, size: str) -> dict[str, float]:
    # A fresh interpreter per measurement: peak memory and caches are not shared.
    with mp.get_context("spawn").Pool(1) as pool:
        result = pool.apply(measure, (system, size))
        rss = pool.apply(resource.getrusage, (resource.RUSAGE_SELF,))
    return {**result, "max_rss_mib": rss.ru_maxrss / 1024}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def main() -> None:
    """Measure the chosen sizes and print matcher, naive and their ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", choices=[*SIZES, "all"], action="append", help="default: the first two"
    )
    sizes = parser.parse_args().size or ["458x1000", "5kx20k"]
    if "all" in sizes:
        sizes = list(SIZES)
    print(f"{_cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    for size in sizes:
        load = os.getloadavg()[0]
        ours, naive = _in_child("matcher", size), _in_child("naive", size)
        rows = naive["extrapolated_from_rows"]
        note = f" (naive: time extrapolated from, memory of, {rows} scenario rows)" if rows else ""
        print(f"\n{size}{note}; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
        print(f"{'':22}{'matcher':>12}{'naive':>12}{'naive/matcher':>15}")
        for key, label in [
            ("full_s", "full re-match (s)"),
            ("full_cpu_s", "  of it CPU (s)"),
            ("p50_ms", "incremental p50 (ms)"),
            ("p95_ms", "incremental p95 (ms)"),
            ("peak_mib", "peak traced (MiB)"),
            ("max_rss_mib", "max RSS (MiB)"),
        ]:
            print(f"{label:22}{ours[key]:12.3f}{naive[key]:12.3f}{naive[key] / ours[key]:15.1f}")


if __name__ == "__main__":
    main()
