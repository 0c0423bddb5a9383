"""Reasons for a pairing that a person can read: matched tags and shared concepts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .concepts import Hit, concept_mentions, concept_of
from .entries import Entry
from .sparse import ones_at, split_rows


def matched_tags(
    scenarios: Sequence[Entry],
    s_slots: np.ndarray,
    capabilities: Sequence[Entry],
    c_slots: np.ndarray,
) -> list[list[str]]:
    """For each pair (scenarios[s_slots[n]], capabilities[c_slots[n]]), the scenario's tags
    (as written, in order) that a capability tag matches: the same, one inside the other
    (智慧停车 / 智慧停车场, AI / AI阅片), or naming one concept.

    Worked out for all pairs at once: each distinct tag is a column, which tag matches
    which is one sparse relation, and a pair's matches are a row of sparse products.
    """
    columns: dict[str, int] = {}
    ours, theirs = _TagRows(scenarios, s_slots, columns), _TagRows(capabilities, c_slots, columns)
    relation = _tag_relation(list(columns))
    # A scenario tag matches when any of the capability's tags is related to it; the
    # scenario side's values are tag positions (1-based), which keep the order of writing.
    hits = (theirs.matrix(len(columns)) > 0).astype(np.float32)[theirs.slots] @ relation
    found = ours.matrix(len(columns))[ours.slots].multiply(hits > 0).tocsr()
    rows = np.repeat(np.arange(found.shape[0]), np.diff(found.indptr))
    order = np.lexsort((found.data, rows))
    where = ours.offsets[ours.slots[rows[order]]] + found.data[order].astype(np.int64) - 1
    return split_rows(ours.written[where].tolist(), rows[order], found.shape[0])


class _TagRows:
    """One side of a list of pairs: its distinct entries' distinct tags, and each pair's entry."""

    def __init__(self, entries: Sequence[Entry], slots: np.ndarray, columns: dict[str, int]):
        per_entry: list[dict[str, str]] = []  # normalised tag -> tag as written
        for entry in entries:
            tags: dict[str, str] = {}
            for tag, phrase in zip(entry.tags, entry.words.get("phrases", []), strict=False):
                if phrase:
                    tags.setdefault(phrase, tag)  # of two tags written alike, the first
            per_entry.append(tags)
        self.slots = slots
        self.cols = np.array(
            [columns.setdefault(p, len(columns)) for tags in per_entry for p in tags], np.int64
        )
        self.offsets = np.r_[0, np.cumsum([len(tags) for tags in per_entry])].astype(np.int64)
        self.written = np.array([tag for tags in per_entry for tag in tags.values()], dtype=object)

    def matrix(self, width: int) -> sp.csr_matrix:
        """(entry × tag column), valued with each tag's 1-based position in the entry."""
        starts = np.repeat(self.offsets[:-1], np.diff(self.offsets))
        positions = np.arange(len(self.cols)) - starts + 1
        return sp.csr_matrix(
            (positions.astype(np.float32), self.cols, self.offsets),
            shape=(len(self.offsets) - 1, width),
        )


def _tag_relation(phrases: list[str]) -> sp.csr_matrix:
    """(tag × tag) non-zero where one tag is, or is inside, the other, or they share a concept."""
    column = {phrase: n for n, phrase in enumerate(phrases)}
    links = [
        (column[part], n)
        for n, phrase in enumerate(phrases)
        for part in {phrase[i:j] for i in range(len(phrase)) for j in range(i + 1, len(phrase) + 1)}
        if part in column
    ]
    groups: dict[str, int] = {}
    named = [
        (n, groups.setdefault(group, len(groups)))
        for n, phrase in enumerate(phrases)
        if (hit := concept_of(phrase))
        for group in hit[1]
    ]
    inside = ones_at(links, (len(phrases), len(phrases)))
    concepts = ones_at(named, (len(phrases), len(groups)))
    return ((inside + inside.T + concepts @ concepts.T) > 0).astype(np.float32).tocsr()


class Explainer:
    """Explains pairs' shared concepts; what it works out about an entry is kept for the
    entry's next pair.

    ``form_hits`` maps the vocabulary columns of concept forms to what they name: a
    concept's surface forms are read from an entry's TF-IDF row, not from its tokens.
    """

    def __init__(self, form_hits: dict[int, Hit]):
        self._forms = form_hits
        # Keyed by object identity: entries are unhashable, and outlive this explainer.
        self._mentions: dict[int, dict[str, set[str]]] = {}
        self._scanned: dict[int, dict[str, set[str]]] = {}

    def _mentions_of(self, entry: Entry, columns: np.ndarray) -> dict[str, set[str]]:
        mentions = self._mentions.get(id(entry))
        if mentions is None:
            mentions = {}
            for col in columns.tolist():
                if hit := self._forms.get(col):
                    display, groups = hit
                    for group in groups:
                        mentions.setdefault(group, set()).add(display)
            self._mentions[id(entry)] = mentions
        return mentions

    def concept_reasons(
        self,
        scenario: tuple[Entry, np.ndarray],
        capability: tuple[Entry, np.ndarray],
        groups: list[str],
    ) -> list[tuple[str, str]]:
        """("concept", "OCR≈文字识别") for shared concept groups the two sides name differently.

        Each side is given as (entry, the columns of its row that are concept forms).
        """
        reasons = []
        for group in groups:
            a = self._forms_for(*scenario, group)
            b = self._forms_for(*capability, group)
            # Where both use the same word, the word is already among the shared terms.
            if a and b and a.isdisjoint(b):
                reasons.append(("concept", f"{min(a)}≈{min(b)}"))
        return reasons

    def _forms_for(self, entry: Entry, columns: np.ndarray, group: str) -> set[str]:
        forms = self._mentions_of(entry, columns).get(group)
        if forms:
            return forms
        # Forms spanning two tokens ("OPC UA") or seen in one entry only are not in the
        # vocabulary; for those, and only those, read the entry's tokens again (once).
        scanned = self._scanned.get(id(entry))
        if scanned is None:
            words = entry.words
            scanned = concept_mentions(words["title"] + words["body"] + words["tags"])
            self._scanned[id(entry)] = scanned
        return scanned.get(group, set())
