"""The re-match on a Dask cluster gives the one-machine re-match's answer, or fails whole."""

import os
import signal

import dask
import pytest
from distributed import Client, LocalCluster

from matchmaker.matching import Matcher, MatcherConfig, distributed
from matchmaker.matching.synthetic import synthetic

pytestmark = pytest.mark.slow


def local_cluster(workers: int) -> LocalCluster:
    """Worker processes on this machine, as `matchmaker match --engine dask` starts them."""
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: no clash with another cluster here
        memory_limit="4GiB",
    )


@pytest.fixture(scope="module")
def fitted() -> Matcher:
    """A matcher fitted on 5,000 scenarios and 20,000 capabilities."""
    return Matcher(MatcherConfig()).fit(*synthetic(5_000, 20_000))


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    """A client of a two-worker cluster."""
    with local_cluster(2) as cluster, Client(cluster) as client:
        yield client


def as_rows(recommendations: list) -> list[tuple]:  # type: ignore[type-arg]
    """Everything a recommendation says but its score and parts, which are floats."""
    return [(r.scenario_id, r.capability_id, r.terms, r.tags, r.reasons) for r in recommendations]


@pytest.mark.parametrize("side", ["scenario", "capability"])
def test_a_rematch_on_a_cluster_recommends_what_one_machine_does(
    fitted: Matcher, client: Client, side: str
) -> None:
    local = fitted.rematch(k=10, side=side)
    # Several blocks and several shards, so that candidates are merged across shards.
    spread = distributed.rematch(
        fitted, client, k=10, side=side, block_rows=1_500, shard_rows=6_000
    )
    assert len(local) > 10_000
    assert as_rows(spread) == as_rows(local)
    for ours, theirs in zip(spread, local, strict=True):
        assert ours.score == pytest.approx(theirs.score, abs=1e-9)
        assert ours.parts == pytest.approx(theirs.parts, abs=1e-9)


def test_progress_is_reported_block_by_block(fitted: Matcher, client: Client) -> None:
    done: list[int] = []
    distributed.rematch(fitted, client, side="scenario", block_rows=2_000, progress=done.append)
    assert sorted(done) == [1_000, 2_000, 2_000]


def test_a_worker_lost_midway_fails_the_rematch_and_returns_nothing(fitted: Matcher) -> None:
    # A task on a worker that dies is not retried elsewhere, so the loss cannot go unnoticed.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        local_cluster(1) as cluster,
        Client(cluster) as client,
    ):

        def kill_the_worker(_done: int) -> None:
            for nanny in cluster.workers.values():
                if nanny.process is not None and nanny.process.process is not None:
                    os.kill(nanny.process.process.pid, signal.SIGKILL)

        with pytest.raises(distributed.ClusterFailed):
            distributed.rematch(
                fitted, client, side="scenario", block_rows=500, progress=kill_the_worker
            )
