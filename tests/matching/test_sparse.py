"""The sparse helpers keep a row's heaviest entries whatever else the matrix holds."""

import numpy as np
import scipy.sparse as sp

from matchmaker.matching.sparse import best_per_row, heaviest

# One row's weights: the second is heavier than the first by a hair (float noise in a sum).
ROW = np.array([0.5, 0.5 + 1e-12, 0.25])


def placed(row: np.ndarray, at: int, rows: int) -> sp.csr_matrix:
    """A ``rows``-row matrix holding ``row`` at row ``at`` and nothing else."""
    matrix = sp.lil_matrix((rows, len(row)))
    matrix[at] = row
    return matrix.tocsr()


def test_a_row_keeps_its_heaviest_entry_whether_the_matrix_is_a_shard_or_the_whole_list():
    # The cluster re-match cuts a list into shards; a row must come out the same at the top
    # of a small shard as at row 1,000,000 of the whole list.
    for at, rows in ((0, 1), (999_999, 1_000_000)):
        kept = heaviest(placed(ROW, at, rows), 1)
        assert kept[at].indices.tolist() == [1], (at, rows)


def test_the_best_entries_are_listed_heaviest_first_with_their_names():
    names = np.array(["a", "b", "c"])
    matrix = sp.csr_matrix(np.vstack([ROW, [0.0, 0.0, 0.0], [0.1, 0.0, 0.3]]))
    assert best_per_row(matrix, 2, names) == [
        [("b", 0.5 + 1e-12), ("a", 0.5)],
        [],
        [("c", 0.3), ("a", 0.1)],
    ]
