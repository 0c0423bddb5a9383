"""The full re-match on a Dask cluster: ``Matcher.rematch`` with its work spread over workers.

The client holds the fitted matcher. Its vocabulary, IDF and latent axes go to every worker
once (``Matcher.without_index``); the query side is cut into blocks and the other side into
shards, each sent to the cluster once. A task per (block, shard) finds the block's candidates
in the shard and measures their similarities (``Matcher.candidates``); a task per block narrows
them to the candidates the one-machine searches keep, then blends them (each query's best
candidates set the BM25 and coverage scale, the feedback and the agreement gate, so this needs
all of a query's candidates at once) and drops the pairs under the threshold
(``Matcher.finished``). The cap and top-k are applied here, over all pairs at once
(``rank.chosen``), and the explanations are built on the workers for the chosen pairs only
(``Matcher.explain``). Every step runs the local path's own code, so the result is the local
result; a failed or unreachable worker raises ``ClusterFailed`` and returns nothing partial.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from . import rank
from .entries import Recommendation
from .matcher import DEFAULT_CAP, Matcher, Side, _Index, _Pairs, _search_side

if TYPE_CHECKING:  # Dask is needed only when this engine is used
    from distributed import Client

BLOCK_ROWS = 2_000  # query rows per task: the local path scores this many at a time too
SHARD_ROWS = 50_000  # other-side rows per shard


class ClusterFailed(RuntimeError):
    """The cluster could not finish the re-match: a worker died or could not be reached."""


def rematch(
    matcher: Matcher,
    client: Client,
    *,
    k: int = 10,
    cap: int | None = DEFAULT_CAP,
    side: Side = "scenario",
    block_rows: int = BLOCK_ROWS,
    shard_rows: int = SHARD_ROWS,
    progress: Callable[[int], None] | None = None,
) -> list[Recommendation]:
    """What ``matcher.rematch(k=k, cap=cap, side=side)`` returns, computed on ``client``'s
    cluster. ``progress`` is called with the number of query entries done, block by block."""
    from distributed import KilledWorker, as_completed

    query, other = matcher.sides(side)
    blocks, shards = _cut(len(query), block_rows), _cut(len(other), shard_rows)
    try:
        # hash=False: fresh keys each run, so a run never picks up data an earlier run's
        # futures are releasing ("lost dependencies" when both sides are re-matched in turn).
        fitted = client.scatter(matcher.without_index(), broadcast=True, hash=False)
        other_latent = client.scatter(other.latent, broadcast=True, hash=False)
        # One piece at a time: a list of them would hold a second copy of both indexes in
        # this process (at 100k x 1M the client then outgrew a 24 GB host).
        block_data = [client.scatter(query.take(rows), hash=False) for rows in blocks]
        shard_data = [client.scatter(other.take(rows), hash=False) for rows in shards]
        searched = [client.submit(_transposed, shard) for shard in shard_data]
        scored = [
            client.submit(
                _finished,
                fitted,
                [
                    client.submit(_candidates, fitted, side, block, shard, found, part.start)
                    for part, shard, found in zip(shards, shard_data, searched, strict=True)
                ],
                rows.stop - rows.start,
                other_latent,
            )
            for rows, block in zip(blocks, block_data, strict=True)
        ]
        position = {future.key: n for n, future in enumerate(scored)}
        pieces: list[_Pairs | None] = [None] * len(scored)
        for future in as_completed(scored):
            n = position[future.key]
            pieces[n] = future.result().shifted(blocks[n].start)
            if progress:
                progress(blocks[n].stop - blocks[n].start)
        # The search indexes, the other side's latent rows and the blocks' results are done
        # with (``future`` is the last of them): the cluster frees them.
        del searched, scored, other_latent, future
        pairs = _Pairs.concat([piece for piece in pieces if piece is not None])
        chosen = pairs.take(rank.chosen(pairs.query, pairs.total, pairs.other, k, cap))
        return _explained(client, fitted, side, chosen, blocks, block_data, shards, shard_data)
    except (KilledWorker, CancelledError, OSError, TimeoutError) as error:
        raise ClusterFailed(f"{type(error).__name__}: {error}") from error


def _cut(length: int, size: int) -> list[slice]:
    """``range(length)`` in consecutive slices of at most ``size``."""
    return [slice(start, min(start + size, length)) for start in range(0, length, size)] or [
        slice(0, 0)
    ]


def _transposed(shard: _Index) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """What a query's searches multiply with: the shard's searchable rows, transposed once."""
    return _search_side(shard)


def _candidates(
    fitted: Matcher, side: Side, block: _Index, shard: _Index, searched: Any, first: int
) -> tuple[_Pairs, np.ndarray]:
    """The block's best candidates in one shard, with rows counted from the other side's
    first row, and the search products that chose them."""
    pairs, search = fitted.candidates(side, block, shard, searched)
    return pairs.shifted(others=first), search


def _finished(
    fitted: Matcher,
    found: Sequence[tuple[_Pairs, np.ndarray]],
    queries: int,
    other_latent: np.ndarray,
) -> _Pairs:
    """One block's pairs: the best candidates over all shards, with feedback, over the bar."""
    pairs = _Pairs.concat([pairs for pairs, _ in found])
    search = np.concatenate([search for _, search in found])
    return fitted.finished(fitted.narrowed(pairs, search), queries, other_latent)


def _explained(
    client: Client,
    fitted: Any,
    side: Side,
    chosen: _Pairs,
    blocks: list[slice],
    block_data: list[Any],
    shards: list[slice],
    shard_data: list[Any],
) -> list[Recommendation]:
    """Explanations of the chosen pairs, in order.

    Each (block, shard) group's task gets only the rows its pairs use, cut where the block and
    the shard live (a task given a whole block and shard copied the one it lacked). A few
    groups are in flight at a time, twice the cluster's threads: submitted all at once, the
    cheap cuts ran ahead of the explanations and their pieces took a 6 GiB worker past its
    limit at 100k x 1M. A block or shard is released once its last group is sent
    (``block_data`` and ``shard_data`` are emptied), each result once read.
    """
    from distributed import as_completed

    block_of = np.searchsorted([rows.start for rows in blocks], chosen.query, side="right") - 1
    shard_of = np.searchsorted([rows.start for rows in shards], chosen.other, side="right") - 1
    # Shard by shard: a shard Dask has spilled to disk is read back once, not once a block.
    groups = sorted(set(zip(block_of.tolist(), shard_of.tolist(), strict=True)), key=_by_shard)
    last_of_block = {b: n for n, (b, _s) in enumerate(groups)}
    last_of_shard = {s: n for n, (_b, s) in enumerate(groups)}
    positions_of: dict[str, np.ndarray] = {}

    def send(n: int) -> Any:
        b, s = groups[n]
        positions = np.flatnonzero((block_of == b) & (shard_of == s))
        local = chosen.take(positions).shifted(-blocks[b].start, -shards[s].start)
        query_rows, query_at = np.unique(local.query, return_inverse=True)
        other_rows, other_at = np.unique(local.other, return_inverse=True)
        task = client.submit(
            Matcher.explain,
            fitted,
            side,
            client.submit(_Index.take, block_data[b], query_rows),
            client.submit(_Index.take, shard_data[s], other_rows),
            local._replace(query=query_at, other=other_at),
        )
        positions_of[task.key] = positions
        if last_of_block[b] == n:
            block_data[b] = None
        if last_of_shard[s] == n:
            shard_data[s] = None
        return task

    in_flight = min(len(groups), 2 * max(1, sum(client.nthreads().values())))
    finishing = as_completed([send(n) for n in range(in_flight)])
    sent = in_flight
    found: list[Recommendation | None] = [None] * len(chosen.query)
    for task in finishing:
        for position, recommendation in zip(
            positions_of.pop(task.key).tolist(), task.result(), strict=True
        ):
            found[position] = recommendation
        if sent < len(groups):
            finishing.add(send(sent))
            sent += 1
    block_data.clear()
    shard_data.clear()
    return [recommendation for recommendation in found if recommendation is not None]


def _by_shard(group: tuple[int, int]) -> tuple[int, int]:
    block, shard = group
    return shard, block
