"""Choosing recommendations from scored pairs: top-k, and the per-capability cap."""

import numpy as np
import pytest

from matchmaker.matching.rank import capped, top_k

# Three scenarios (0, 1, 2), capabilities 0..2; capability 0 is everyone's favourite.
QUERIES = np.array([0, 0, 1, 1, 2, 2, 2])
ITEMS = np.array([0, 1, 0, 2, 0, 1, 2])
SCORES = np.array([0.9, 0.5, 0.8, 0.4, 0.7, 0.6, 0.3])


def test_top_k_keeps_the_best_pairs_of_each_scenario_in_order():
    chosen = top_k(QUERIES, SCORES, ITEMS, 1)
    assert list(zip(QUERIES[chosen], ITEMS[chosen], strict=True)) == [(0, 0), (1, 0), (2, 0)]


def test_top_k_breaks_ties_by_item_so_runs_repeat():
    chosen = top_k(np.array([0, 0]), np.array([0.5, 0.5]), np.array([7, 3]), 1)
    assert chosen.tolist() == [1]


def test_the_cap_gives_the_favourite_to_the_scenarios_it_fits_best():
    chosen = capped(QUERIES, SCORES, ITEMS, 1, 2)
    pairs = dict(zip(QUERIES[chosen].tolist(), ITEMS[chosen].tolist(), strict=True))
    assert pairs == {0: 0, 1: 0, 2: 1}


def test_the_cap_never_lets_an_item_exceed_it_nor_a_scenario_exceed_k():
    rng = np.random.default_rng(0)
    queries, items = rng.integers(0, 50, 2000), rng.integers(0, 20, 2000)
    chosen = capped(queries, rng.random(2000), items, 5, 7)
    assert np.bincount(items[chosen]).max() <= 7
    assert np.bincount(queries[chosen]).max() <= 5


def greedy(queries: np.ndarray, scores: np.ndarray, items: np.ndarray, k: int, cap: int) -> set:
    """The greedy b-matching written plainly: best pairs first, skipping full ones."""
    taken: set = set()
    per_query: dict = {}
    per_item: dict = {}
    for score, q, i in sorted(zip(-scores, queries, items, strict=True)):
        if per_query.get(q, 0) < k and per_item.get(i, 0) < cap:
            per_query[q], per_item[i] = per_query.get(q, 0) + 1, per_item.get(i, 0) + 1
            taken.add((q, i, -score))
    return taken


@pytest.mark.parametrize("n_items, cap", [(500, 7), (20, 7), (50, 1)])
def test_the_cap_chooses_what_the_plain_greedy_does_whether_or_not_it_binds(
    n_items: int, cap: int
) -> None:
    rng = np.random.default_rng(n_items)
    queries, items, scores = (
        rng.integers(0, 50, 2000),
        rng.integers(0, n_items, 2000),
        rng.random(2000),
    )
    chosen = capped(queries, scores, items, 5, cap)
    assert set(zip(queries[chosen], items[chosen], scores[chosen], strict=True)) == greedy(
        queries, scores, items, 5, cap
    )
