"""Choosing which scored pairs become recommendations: top-k per query, and the batch cap."""

from __future__ import annotations

import numpy as np


def top_k(queries: np.ndarray, scores: np.ndarray, items: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best pairs of each query, by query then score descending."""
    # Ties broken by item index so that the same pairs always come out in the same order.
    order = np.lexsort((items, -scores, queries))
    sorted_queries = queries[order]
    first = np.searchsorted(sorted_queries, sorted_queries, side="left")
    rank = np.arange(len(order)) - first
    return order[rank < k]


def capped(
    queries: np.ndarray, scores: np.ndarray, items: np.ndarray, k: int, cap: int
) -> np.ndarray:
    """Positions chosen greedily so no query gets more than ``k`` pairs, no item more than ``cap``.

    Pairs are taken best score first across the whole batch; a pair is skipped when its query
    is full or its item has been recommended ``cap`` times already, and the query then falls
    back to its next candidate. This is the classic greedy for b-matching: it keeps each
    popular capability for the scenarios it fits best.
    """
    order = np.lexsort((items, queries, -scores))
    per_query = [0] * (int(queries.max(initial=-1)) + 1)
    per_item = [0] * (int(items.max(initial=-1)) + 1)
    chosen = []
    # Plain lists: indexing them is several times faster than indexing arrays one by one.
    for pos, q, i in zip(
        order.tolist(), queries[order].tolist(), items[order].tolist(), strict=True
    ):
        if per_query[q] < k and per_item[i] < cap:
            per_query[q] += 1
            per_item[i] += 1
            chosen.append(pos)
    chosen_arr = np.asarray(chosen, dtype=np.int64)
    # Hand them back grouped by query, best first, like top_k does.
    return chosen_arr[np.lexsort((items[chosen_arr], -scores[chosen_arr], queries[chosen_arr]))]


def chosen(
    queries: np.ndarray, scores: np.ndarray, items: np.ndarray, k: int, cap: int | None
) -> np.ndarray:
    """Positions of the recommendations: ``k`` per query, each item at most ``cap`` times
    (no cap when None)."""
    if cap is None:
        return top_k(queries, scores, items, k)
    return capped(queries, scores, items, k, cap)
