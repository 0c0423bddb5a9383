"""Small sparse-matrix helpers the matcher and its explanations share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

T = TypeVar("T")


def ones_at(cells: Sequence[tuple[int, int]], shape: tuple[int, int]) -> sp.csr_matrix:
    """A 0/1 matrix with ones at the (row, column) ``cells``."""
    index = np.array(cells, dtype=np.int64).reshape(-1, 2)
    return sp.csr_matrix((np.ones(len(index), np.float32), (index[:, 0], index[:, 1])), shape=shape)


def split_rows(values: list[T], rows: np.ndarray, n_rows: int) -> list[list[T]]:
    """``values`` (in row order, ``rows`` giving each one's row) as one list per row."""
    bounds = np.searchsorted(rows, np.arange(n_rows + 1)).tolist()
    return [values[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


def _by_row_heaviest_first(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row of each stored value; positions sorted by row, then value descending; each sorted
    position's rank in its row).
    """
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    # Exact keys: a single float key (row minus scaled value) lost near-equal values to the
    # row number's rounding, so a shard and the whole list kept different entries of a row.
    order = np.lexsort((-matrix.data, rows))
    return rows, order, np.arange(len(order)) - matrix.indptr[rows[order]]


def heaviest(matrix: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """``matrix`` with only the ``n`` largest entries of each row kept."""
    matrix = sp.csr_matrix(matrix)
    counts = np.diff(matrix.indptr)
    if counts.max(initial=0) <= n:
        return matrix
    _, order, rank = _by_row_heaviest_first(matrix)
    keep = np.sort(order[rank < n])
    return sp.csr_matrix(
        (matrix.data[keep], matrix.indices[keep], np.r_[0, np.cumsum(np.minimum(counts, n))]),
        shape=matrix.shape,
    )


def best_per_row(matrix: sp.csr_matrix, n: int, names: np.ndarray) -> list[list[tuple[str, float]]]:
    """The ``n`` largest positive entries of each row, as (column name, value), largest first."""
    matrix = sp.csr_matrix(matrix)
    rows, order, rank = _by_row_heaviest_first(matrix)
    keep = order[(rank < n) & (matrix.data[order] > 0)]
    labels, values = names[matrix.indices[keep]].tolist(), matrix.data[keep].tolist()
    # ``keep`` is in row order: each row's entries are one slice of it.
    return split_rows(list(zip(labels, values, strict=True)), rows[keep], matrix.shape[0])
