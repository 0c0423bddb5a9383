"""The sparse helpers keep a row's heaviest entries whatever else the matrix holds."""

import numpy as np
import pytest
import scipy.sparse as sp

from matchmaker.matching.sparse import best_per_row, heaviest


def placed(row: list[float], at: int, rows: int) -> sp.csr_matrix:
    """A ``rows``-row matrix holding ``row`` at row ``at`` and nothing else."""
    columns = np.arange(len(row))
    return sp.csr_matrix((row, (np.full(len(row), at), columns)), shape=(rows, len(row)))


@pytest.mark.parametrize(
    "row, heaviest_column",
    [
        ([0.5, 0.5 + 1e-6, 0.25], 1),
        # A gap of float noise in a sum: a tie, which goes to the first column.
        ([0.5, 0.5 + 1e-12, 0.25], 0),
    ],
)
def test_a_row_keeps_the_same_entry_in_a_shard_as_in_the_whole_list(
    row: list[float], heaviest_column: int
) -> None:
    # The cluster re-match cuts a list into shards: a row at the top of a small shard must
    # come out as it does at row 999,999, or past a million rows, of the whole list.
    for at, rows in ((0, 1), (999_999, 1_000_000), (1_100_000, 1_200_000)):
        kept = heaviest(placed(row, at, rows), 1)
        assert kept[at].indices.tolist() == [heaviest_column], (at, rows)


def test_the_best_entries_are_listed_heaviest_first_with_their_names():
    names = np.array(["a", "b", "c"])
    matrix = sp.csr_matrix(np.array([[0.5, 0.75, 0.25], [0.0, 0.0, 0.0], [0.1, 0.0, 0.3]]))
    assert best_per_row(matrix, 2, names) == [
        [("b", 0.75), ("a", 0.5)],
        [],
        [("c", 0.3), ("a", 0.1)],
    ]
