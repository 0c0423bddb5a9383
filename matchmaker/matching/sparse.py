"""Two small sparse-matrix shapes the matcher and its explanations both build."""

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
