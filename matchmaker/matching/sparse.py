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


# A row's order depends on its own values alone, never on its row number or on the rest of the
# matrix: a shard of a list keeps the entries the whole list keeps.
_ROW_BITS = 20  # the row's share of one 64-bit sort key; a sort takes 2**20 rows at a time
_VALUE_BITS = np.uint64(64 - _ROW_BITS)


def _by_row_heaviest_first(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row of each stored value; positions sorted by row, then value descending; each sorted
    position's rank in its row). Values must not be negative.
    """
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    # One stable integer sort: the row in the key's high bits, the value's own bit pattern (a
    # non-negative float's orders like the float) below it, inverted for heaviest first. The
    # value's lowest bits make room for the row: values that differ only there (a relative gap
    # under 2.4e-10) count as equal and keep column order.
    value = matrix.data.astype(np.float64).view(np.uint64) >> np.uint64(_ROW_BITS)
    lighter = (np.uint64(1) << _VALUE_BITS) - np.uint64(1) - value
    order = np.empty(len(rows), np.int64)
    chunk = 2**_ROW_BITS
    for first in range(0, matrix.shape[0], chunk):
        start, stop = matrix.indptr[[first, min(first + chunk, matrix.shape[0])]]
        key = ((rows[start:stop] - first).astype(np.uint64) << _VALUE_BITS) | lighter[start:stop]
        order[start:stop] = start + np.argsort(key, kind="stable")
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
