"""The shipped concept layer: groups of equivalent and related forms, looked up token by token."""

from __future__ import annotations

from functools import cache

import numpy as np
import scipy.sparse as sp

from .sparse import ones_at
from .text import concept_forms

Hit = tuple[str, tuple[str, ...]]  # (display form, ids of the groups the form belongs to)


@cache
def _lookup() -> dict[str, Hit]:
    # "NB-IoT", "NBIoT" and "nb-iot" are one form to the lookup. Every form is a single
    # token: segmentation keeps forms whole, multi-word ones ("opc ua") included.
    return {form.replace("-", ""): hit for form, hit in concept_forms().items()}


def concept_of(token: str) -> Hit | None:
    """(display form, group ids) if ``token`` is a concept form, else None."""
    return _lookup().get(token.replace("-", ""))


def concept_features(tokens: list[str]) -> list[str]:
    """Concept group ids named in ``tokens``, once per mention (the concept 'words')."""
    lookup = _lookup()
    return [
        group for token in tokens if (hit := lookup.get(token.replace("-", ""))) for group in hit[1]
    ]


def concept_mentions(tokens: list[str]) -> dict[str, set[str]]:
    """For each concept group named in ``tokens``, the surface forms (as displayed) used."""
    mentions: dict[str, set[str]] = {}
    for token in tokens:
        if hit := concept_of(token):
            for group in hit[1]:
                mentions.setdefault(group, set()).add(hit[0])
    return mentions


def concept_matrix(words: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """(words × groups) 0/1 matrix of which word names which group, and the groups' ids.

    Counting words once and multiplying by this matrix gives the same concept counts as
    looking every token up, without a Python step per token.
    """
    lookup, rows, groups = _lookup(), [], {}
    for row, word in enumerate(words.tolist()):
        if hit := lookup.get(word.replace("-", "")):
            rows += [(row, groups.setdefault(g, len(groups))) for g in hit[1]]
    return ones_at(rows, (len(words), len(groups))), np.array(list(groups), dtype=object)
