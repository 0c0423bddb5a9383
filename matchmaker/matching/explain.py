"""Reasons for a pairing that a person can read: matched tags and shared concepts."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .concepts import Hit, concept_mentions, concept_of
from .entries import Entry


class _Tags(NamedTuple):
    items: list[tuple[str, str, frozenset[str]]]  # (tag as written, normalised, its concepts)
    phrases: tuple[str, ...]  # the normalised tags
    groups: frozenset[str]  # every concept group the tags name
    joined: str  # all normalised tags in one string, to test containment at C speed


class Explainer:
    """Explains pairs; what it works out about an entry is kept for the entry's next pair.

    ``form_hits`` maps the vocabulary columns of concept forms to what they name: a
    concept's surface forms are read from an entry's TF-IDF row, not from its tokens.
    """

    def __init__(self, form_hits: dict[int, Hit]):
        self._forms = form_hits
        # Keyed by object identity: entries are unhashable, and outlive this explainer.
        self._tags: dict[int, _Tags] = {}
        self._mentions: dict[int, dict[str, set[str]]] = {}
        self._scanned: dict[int, dict[str, set[str]]] = {}

    def _tags_of(self, entry: Entry) -> _Tags:
        tags = self._tags.get(id(entry))
        if tags is None:
            items = [
                (tag, phrase, frozenset(hit[1]) if (hit := concept_of(phrase)) else frozenset())
                for tag, phrase in zip(entry.tags, entry.words.get("phrases", []), strict=False)
                if phrase
            ]
            phrases = tuple(phrase for _, phrase, _ in items)
            groups = frozenset().union(*(g for _, _, g in items))
            tags = _Tags(items, phrases, groups, "\x00".join(phrases))
            self._tags[id(entry)] = tags
        return tags

    def matched_tags(self, scenario: Entry, capability: Entry) -> list[str]:
        """The scenario's tags (as written) that a capability tag matches, nearly or by concept."""
        ours, theirs = self._tags_of(scenario), self._tags_of(capability)
        # "Nearly" is containment either way: 智慧停车 and 智慧停车场, AI and AI阅片. Their
        # tags found inside ours are few, so that direction is looked for only among them.
        inside_ours = [t for t in theirs.phrases if t in ours.joined]
        return [
            tag
            for tag, phrase, groups in ours.items
            if phrase in theirs.joined
            or (groups and not groups.isdisjoint(theirs.groups))
            or (inside_ours and any(t in phrase for t in inside_ours))
        ]

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
