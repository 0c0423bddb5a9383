"""Reasons for a pairing that a person can read, one for every part of its score that shows.

Each reason is a (code, value) pair the app translates (``reasons`` says which part each code
explains and what an explanation may claim). Two forms are "the same thing" only when the
concept data says they are equivalents; shared terms leave out single characters, bare
numbers and stop words; the latent and feedback parts name the words that carry them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from .concepts import Hit, concept_mentions, concept_of
from .entries import Entry
from .reasons import VISIBLE, WORD_PARTS, equivalent, telling
from .sparse import heaviest, ones_at, split_rows

SHOWN_WORDS = 3  # words named by a latent or feedback reason
_TRACED = 12  # of an entry's heaviest telling words, those a latent closeness is traced to
_CHUNK = 4096  # entries whose words' loadings are gathered at a time, to bound memory
# A Latin word as the matcher keeps it (lower case), standing alone: "ocr", "5g", not "IoT".
_LOWER_LATIN = re.compile(r"(?<![A-Za-z0-9])[0-9a-z]*[a-z][0-9a-z]*(?![A-Za-z0-9])")
_LATIN_RUN = re.compile(r"[A-Za-z0-9]+")  # a Latin word as written (in NFKC: full width too)


def is_telling(words: Sequence[str]) -> np.ndarray:
    """Which ``words`` an explanation may list as shared terms (``reasons.telling``)."""
    return np.fromiter(map(telling, words), dtype=bool, count=len(words))


class Tracer:
    """Traces closeness in the LSA space back to the words of an entry that carry it.

    A latent row is an entry's TF-IDF row times the axes, so what a word brings to the
    (unnormalised) dot product with a direction is its weight times its loadings · the
    direction; over all of the entry's words these add up to the dot product. Only words an
    explanation may name (``listed``) are traced, and of each entry its ``_TRACED`` heaviest
    of them: the lighter ones rarely carry much, and the explanation stays cheap.
    """

    def __init__(self, components: np.ndarray, listed: np.ndarray, names: np.ndarray):
        self.axes = np.ascontiguousarray(components.T)  # words × axes, one row per word
        self.listed = sp.diags(listed.astype(np.float32))
        self.names = names

    def words(
        self,
        vectors: sp.csr_matrix,
        rows: np.ndarray,
        directions: Mapping[str, np.ndarray],
        traced: int | None = _TRACED,
    ) -> dict[str, np.ndarray]:
        """For the entries ``vectors[rows]`` and, under each name, one direction per entry:
        the ``SHOWN_WORDS`` words of each entry that bring most to its closeness to that
        direction, joined for a reason ("" where none brings anything). Of each entry, its
        ``traced`` heaviest listed words are traced (None: all of them)."""
        columns, weights = self._heaviest(vectors, rows, traced)
        brought = {name: np.zeros(columns.shape, np.float32) for name in directions}
        for start in range(0, len(rows), _CHUNK):
            part = slice(start, start + _CHUNK)
            loadings = self.axes[columns[part]]  # entries × words × axes
            for name, towards in directions.items():
                dots = np.einsum("nkd,nd->nk", loadings, towards[part])
                brought[name][part] = dots * weights[part]
        return {name: self._strongest(columns, found) for name, found in brought.items()}

    def _heaviest(
        self, vectors: sp.csr_matrix, rows: np.ndarray, traced: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each entry's ``traced`` heaviest listed words (None: all) as (entries × words)
        columns and weights; the weight is 0 where an entry has fewer."""
        # Worked out once per distinct entry: an entry is in many pairs.
        distinct, slots = np.unique(rows, return_inverse=True)
        found = vectors[distinct] @ self.listed
        found.eliminate_zeros()
        width = int(np.diff(found.indptr).max(initial=1)) if traced is None else traced
        found = heaviest(found, width)
        at = np.repeat(np.arange(found.shape[0]), np.diff(found.indptr))
        place = np.arange(found.nnz) - found.indptr[at]
        columns = np.zeros((found.shape[0], width), np.int64)
        weights = np.zeros((found.shape[0], width), np.float32)
        columns[at, place], weights[at, place] = found.indices, found.data
        return columns[slots], weights[slots]

    def _strongest(self, columns: np.ndarray, brought: np.ndarray) -> np.ndarray:
        best = np.argsort(-brought, axis=1, kind="stable")[:, :SHOWN_WORDS]
        named = np.take_along_axis(brought, best, axis=1) > 0
        picked = self.names[np.take_along_axis(columns, best, axis=1)].astype(str)
        words = np.where(named, picked, "")
        # Joined column by column in numpy: a Python join per entry took most of the time.
        # Unnamed words are last in their row, so a separator goes before each named one.
        joined = words[:, 0]
        for k in range(1, words.shape[1]):
            joined = np.char.add(joined, np.where(named[:, k], "、", ""))
            joined = np.char.add(joined, words[:, k])
        return joined.astype(object)  # of any length, when some are replaced


def add_part_reasons(
    reasons: list[list[tuple[str, str]]],
    side: str,
    parts: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    terms: list[list[tuple[str, float]]],
    words: Mapping[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    """Add to each pair's ``reasons`` those for its parts that show and have no structured
    reason.

    ``words`` maps "feedback", "latent" and "concept" to (pair positions, the words that
    carry that part there: ``Tracer.words``, or for a concept both sides name alike, its
    word); ``weights`` are the fuzzy parts' weights, to give back their ratios.
    """
    codes = {
        "feedback": "near_best_capabilities" if side == "scenario" else "near_best_scenarios",
        "latent": "latent_firm" if side == "scenario" else "latent_scenario",
        "concept": "same_concept",
    }
    for part, (positions, values) in words.items():
        code = codes[part]
        for n, value in zip(positions.tolist(), values.tolist(), strict=True):
            reasons[n].append((code, value))
    for name in ("fuzzy_title", "fuzzy_tags"):
        if name in parts:
            shown = np.flatnonzero(parts[name] >= VISIBLE)
            ratios = np.rint(100 * parts[name][shown] / weights[name]).astype(np.int64)
            for n, ratio in zip(shown.tolist(), ratios.tolist(), strict=True):
                reasons[n].append((name, f"{ratio}%"))
    shown = [parts[name] >= VISIBLE for name in WORD_PARTS if name in parts]
    if shown:
        for n in np.flatnonzero(np.logical_or.reduce(shown)).tolist():
            if not terms[n]:
                reasons[n].append(("common_words", ""))


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
        """For shared concept groups the two sides name differently: ("concept",
        "OCR≈文字识别") where two of their forms are equivalents, else ("related_concept",
        "井盖 / 路灯"), two related topics of one group.

        Each side is given as (entry, the columns of its row that are concept forms).
        """
        reasons = []
        for group in groups:
            a = self._forms_for(*scenario, group)
            b = self._forms_for(*capability, group)
            # Where both use the same word, the word is already among the shared terms.
            if a and b and a.isdisjoint(b):
                same = [(x, y) for x in sorted(a) for y in sorted(b) if equivalent(group, x, y)]
                if same:
                    reasons.append(("concept", "≈".join(same[0])))
                else:
                    reasons.append(("related_concept", f"{min(a)} / {min(b)}"))
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


def has_lower_latin(word: str) -> bool:
    """Whether ``word`` holds a Latin word as the matcher keeps it (lower case)."""
    return _LOWER_LATIN.search(word) is not None


def as_written(
    terms: list[list[tuple[str, float]]],
    rows: np.ndarray,
    scenarios: Sequence[Entry],
    capabilities: Sequence[Entry],
    sources: Mapping[str, str],
) -> None:
    """The shared terms of the pairs at ``rows`` as the entries write them (``Written``):
    Latin words in their capitals, and a word the normalisation rewrote in the mainland word
    the entry used (``sources``, from ``text.mainland_sources``). The words a latent or
    feedback reason names are written by ``latin_as_written``."""
    written = Written(sources)
    for n in rows.tolist():
        scenario, capability = scenarios[n], capabilities[n]
        terms[n] = [(written.term(t, scenario, capability), w) for t, w in terms[n]]


def latin_as_written(
    words: Mapping[str, tuple[np.ndarray, np.ndarray]],
    scenarios: Sequence[Entry],
    capabilities: Sequence[Entry],
) -> None:
    """The Latin words a latent or feedback reason names (``words``: part -> positions, words
    joined by 、) as the pair writes them: 8K, DIP, 5G, not 8k, dip, 5g. A Latin word neither
    entry writes is a piece of a longer one (ar of TARA, mony of OpenHarmony) and is left
    out. Only the reasons that hold such a word are looked at (one in seven on the seed
    lists): writing every pair's words cost a sixth of a re-match at 458 x 1000."""
    written = Written({})
    for positions, values in words.values():
        for k in _holding_lower_latin(values.tolist()).tolist():
            pair = scenarios[positions[k]], capabilities[positions[k]]
            named = [w for w in values[k].split("、") if written.writes(w, *pair)]
            values[k] = "、".join(written.words(w, *pair) for w in named)


def _holding_lower_latin(values: list[str]) -> np.ndarray:
    """The positions of the ``values`` that hold a lower-case Latin word: one scan of them all
    joined, not a search of each (words hold no line break)."""
    starts = np.cumsum([0] + [len(value) + 1 for value in values])
    found = [match.start() for match in _LOWER_LATIN.finditer("\n".join(values))]
    return np.unique(np.searchsorted(starts, found, side="right") - 1)


class Written:
    """Shared terms put back as the pair's entries write them. The matcher compares
    normalised text: lower-case Latin (a reader knows OCR, IoT, 5G by their capitals), and
    OpenCC's reading of some mainland words as Taiwan phrases (核心 is indexed as 内核).

    The scenario's spelling first, then the capability's; a word neither writes stays as it
    is (a Traditional entry's 數據 shows as 数据). Each entry's text is read once per explainer.
    """

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources
        self._spellings: dict[int, dict[str, str]] = {}  # by object identity, like ``Explainer``
        self._texts: dict[int, str] = {}

    def term(self, value: str, scenario: Entry, capability: Entry) -> str:
        """``value`` as the pair writes it."""
        source = self._sources.get(value)
        if source:
            for entry in (scenario, capability):
                text = self._text(entry)
                if value in text:
                    return value
                if source in text:
                    return source
            return value
        return self.words(value, scenario, capability)

    def words(self, value: str, scenario: Entry, capability: Entry) -> str:
        """``value`` (a term, or words joined by 、) with each lower-case Latin word as
        written."""
        if not _LOWER_LATIN.search(value):
            return value
        ours, theirs = self._spelled(scenario), self._spelled(capability)

        def as_written(word: re.Match[str]) -> str:
            found = word.group(0)
            return ours.get(found) or theirs.get(found) or found

        return _LOWER_LATIN.sub(as_written, value)

    def writes(self, value: str, scenario: Entry, capability: Entry) -> bool:
        """Whether every lower-case Latin word of ``value`` is one the pair writes whole."""
        ours, theirs = self._spelled(scenario), self._spelled(capability)
        return all(found in ours or found in theirs for found in _LOWER_LATIN.findall(value))

    def _text(self, entry: Entry) -> str:
        text = self._texts.get(id(entry))
        if text is None:
            text = unicodedata.normalize(
                "NFKC", "\n".join([entry.title, entry.description, *entry.tags])
            )
            self._texts[id(entry)] = text
        return text

    def _spelled(self, entry: Entry) -> dict[str, str]:
        """The entry's Latin words, by their lower case, as it first writes each."""
        spellings = self._spellings.get(id(entry))
        if spellings is None:
            spellings = {}
            for word in _LATIN_RUN.findall(self._text(entry)):  # NFKC: ＯＣＲ is OCR
                spellings.setdefault(word.lower(), word)
            self._spellings[id(entry)] = spellings
        return spellings
