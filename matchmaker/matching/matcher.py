"""The matcher: content similarities blended by learnt weights, structure as a tie-breaker."""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import chain, count, repeat
from pathlib import Path
from typing import Literal, NamedTuple, Self, TypeVar

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize as l2_normalize
from sparse_dot_topn import sp_matmul_topn
from threadpoolctl import threadpool_limits

from . import rank
from .concepts import Hit, concept_features, concept_matrix, concept_of
from .entries import Entry, Recommendation
from .explain import (
    Explainer,
    Tracer,
    add_part_reasons,
    as_written,
    has_lower_latin,
    is_telling,
    latin_as_written,
    matched_tags,
)
from .reasons import PART_OF, VISIBLE
from .sparse import best_per_row, heaviest, ones_at
from .text import data_lines, mainland_sources, normalize

Side = Literal["scenario", "capability"]
FIELDS = ("title", "body", "tags")
# The parts of a score that measure what two entries say: each a similarity in [0, 1], blended
# by the weights of the same names in MatcherConfig (learnt from decisions, see ``learn``).
CONTENT_PARTS = (
    "lexical",
    "concept",
    "latent",
    "bm25",
    "coverage",
    "feedback",
    "fuzzy_title",
    "fuzzy_tags",
)
# The parts that measure structured agreement: each is the content score times a small share,
# so agreement orders candidates that say the right things and never lifts one that does not.
STRUCTURED_PARTS = ("field", "district", "qualification", "budget")
DEFAULT_CAP = 20  # recommendations per capability in one batch; see docs/matcher.md
_NO_FEATURE = "\x00"
CONCEPT_MARK = "≈"  # starts the name of a concept feature; segmentation never yields it
_CHUNK = 2000  # query rows scored at a time: bounds the memory of the gathered pair rows
_SHORT_POSTINGS = 500  # a feature in fewer entries than this is cheap to search, however common
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class MatcherConfig:
    """Weights and limits of the matcher; see docs/matcher.md for how each was chosen."""

    # How many times a word of each text field counts in the term frequency (a title word
    # counting as two tag words). Whole numbers, so the vectoriser counts them in one pass.
    title_weight: int = 2
    body_weight: int = 2
    tags_weight: int = 1
    concept_scale: float = 0.3  # a concept feature's weight beside a word's in the TF-IDF row
    # Blend of the content parts (CONTENT_PARTS): fitted by logistic regression on the seed's
    # labels (`matchmaker eval seed/eval --fit`), negative weights dropped, scaled to sum to 1
    # so that content is in [0, 1], and kept because they do not lose on the independent
    # list (docs/matcher.md, "Weights"). A part weighted 0 is not computed.
    lexical: float = 0.0
    concept: float = 0.0361
    latent: float = 0.1168
    bm25: float = 0.0
    coverage: float = 0.1425
    feedback: float = 0.6671
    fuzzy_title: float = 0.0374
    fuzzy_tags: float = 0.0
    # Structured agreement: a share of the content score added when the two agree, and only
    # for candidates whose content reaches ``agreement_gate`` of the query's best content, so
    # it orders candidates that say the right things and never lifts one that does not.
    # Field and district agreement lost on the independent list at every weight tried (0 by
    # measurement); qualifications and budgets are absent from both lists (small, by judgement).
    same_field: float = 0.0
    related_field: float = 0.0
    same_district: float = 0.0
    qualification: float = 0.02
    budget: float = 0.01
    agreement_gate: float = 0.5
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    feedback_docs: int = 5  # best first-stage matches whose centroid expands the query
    latent_dims: int = 64
    latent_sample: int = 5000  # entries the LSA axes are learnt from, at most
    candidates: int = 40  # per query, from the TF-IDF search
    coverage_candidates: int = 30  # per query, from the character-pair search, added to those
    search_terms: int = 32  # heaviest features per row that the candidate searches read
    search_max_share: float = 0.05  # features in more entries than this the searches skip
    min_score: float = 0.05  # the largest that cost neither list anything (docs/matcher.md)
    explain_terms: int = 5
    n_threads: int = 1  # for the top-k product, rapidfuzz and the SVD; 0: every core
    # Which stored weight set the blend's weights came from (None: the shipped ones); the
    # matcher only carries it, so that the app can record it beside each pairing.
    weight_set: int | None = None

    def __post_init__(self) -> None:
        if min(self.title_weight, self.body_weight, self.tags_weight) < 1:
            raise ValueError("field weights must be whole numbers of at least 1")

    @property
    def blend(self) -> dict[str, float]:
        """The content parts' weights, by part name."""
        return {name: getattr(self, name) for name in CONTENT_PARTS}

    def with_blend(self, weights: dict[str, float], weight_set: int | None = None) -> Self:
        """This configuration with the content parts weighted by ``weights`` (others 0)."""
        blend = {name: float(weights.get(name, 0.0)) for name in CONTENT_PARTS}
        return dataclasses.replace(self, **blend, weight_set=weight_set)


def _counted(
    groups: Sequence[tuple[Sequence[Sequence[str]], float]],
    n_docs: int,
    columns: dict[str, int],
    *,
    learn: bool,
) -> sp.csr_matrix:
    """(document × feature) counts of several token groups, each counted ``weight`` times.

    ``groups`` holds (one token list per document, weight) pairs; ``columns`` grows with
    new tokens when ``learn``, else tokens it lacks are skipped. Counted here rather than by
    CountVectorizer, which cannot weight fields without repeating every token list and which
    re-sorts its vocabulary: that was a third of a full re-match.
    """
    rows, cols, data = [], [], []
    for tokens, weight in groups:
        flat = list(chain.from_iterable(tokens))
        if learn:  # new tokens in order of appearance
            new = [token for token in dict.fromkeys(flat) if token not in columns]
            columns.update(zip(new, count(len(columns))))
        ids = np.fromiter(map(columns.get, flat, repeat(-1)), np.int64, len(flat))
        rows.append(np.repeat(np.arange(n_docs), [len(ts) for ts in tokens]))
        cols.append(ids)
        data.append(np.full(len(ids), weight, dtype=np.float64))
    row, col, value = np.concatenate(rows), np.concatenate(cols), np.concatenate(data)
    known = col >= 0
    # Repeated (row, column) pairs are summed: the counts.
    return sp.csr_matrix((value[known], (row[known], col[known])), shape=(n_docs, len(columns)))


def _seen_twice(counts: sp.csr_matrix) -> np.ndarray:
    """Columns present in two documents or more: a feature in one cannot link two entries."""
    return np.flatnonzero(np.bincount(counts.indices, minlength=counts.shape[1]) >= 2)


class _Vectorizer:
    """Field-weighted word and concept counts, and the TF-IDF and BM25 rows made from them.

    Entries come already cut into words, so there is no text processing here: words are
    counted per field, each field's counts weighted, and scikit-learn's TfidfTransformer
    weights the sum. Concept groups are features beside the words ("≈ocr" for OCR, 文字识别
    and 光学字符识别 alike), so a concept counts like one more shared word, weighted by its
    IDF: a narrow concept links two entries strongly, a field-wide one weakly. BM25 reads the
    same counts, words only, with its own IDF and length normalisation (Okapi).
    """

    def __init__(self, weights: Sequence[int], concept_weight: float, k1: float, b: float):
        self.weights = tuple(weights)
        self.concept_weight = concept_weight
        self.k1, self.b = k1, b

    def words(self, docs: Sequence[dict[str, list[str]]]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Field-weighted counts of every word of ``docs``, and the words (the columns)."""
        # The sentinel feature, which no entry has, keeps the vocabulary from being empty
        # when no word is shared (scikit-learn refuses a matrix without columns).
        columns = {_NO_FEATURE: 0}
        counts = self._count(docs, columns, learn=True)
        return counts, np.array(list(columns), dtype=object)

    def fit(self, counts: sp.csr_matrix, names: np.ndarray) -> sp.csr_matrix:
        """Learn the vocabulary (features of two documents or more) and both IDFs from the
        word counts of ``words``; the counts over the vocabulary."""
        if self.concept_weight:
            # Concepts from the word counts (one look-up per distinct word, not per token).
            mapping, groups = concept_matrix(names)
            counts = sp.hstack([counts, counts @ mapping], format="csr")
            names = np.concatenate([names, CONCEPT_MARK + groups])
        keep = np.union1d(_seen_twice(counts), [0])  # the sentinel stays
        self.kept_ = keep  # which counted features are the vocabulary's columns
        self._set_vocabulary(names[keep])
        counts = counts[:, keep]
        self.tfidf_ = TfidfTransformer(norm=None, sublinear_tf=True).fit(counts)
        words = counts @ sp.diags(~self.is_concept * 1.0)
        n, df = counts.shape[0], np.bincount(words.indices, minlength=counts.shape[1])
        self.bm25_idf_ = np.log1p((n - df + 0.5) / (df + 0.5)) * ~self.is_concept
        self.avgdl_ = float(words.sum() / max(n, 1)) or 1.0
        return counts

    def counts(self, docs: Sequence[dict[str, list[str]]]) -> sp.csr_matrix:
        """Counts over the fitted vocabulary; unknown features are ignored."""
        if self.concept_weight:
            # The same counts fit takes from its word counts, looked up per token.
            docs = [
                {
                    field: d[field] + [CONCEPT_MARK + g for g in concept_features(d[field])]
                    for field in FIELDS
                }
                for d in docs
            ]
        return self._count(docs, self.columns_, learn=False)

    def _count(
        self, docs: Sequence[dict[str, list[str]]], columns: dict[str, int], *, learn: bool
    ) -> sp.csr_matrix:
        groups = [
            ([d[field] for d in docs], weight)
            for field, weight in zip(FIELDS, self.weights, strict=True)
        ]
        return _counted(groups, len(docs), columns, learn=learn)

    def _set_vocabulary(self, names: np.ndarray) -> None:
        self.vocabulary = names
        self.columns_ = {str(name): n for n, name in enumerate(names.tolist())}

    def tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows, concept columns scaled by the concept weight."""
        scaled = self.tfidf_.transform(counts) @ sp.diags(self.scale)
        return l2_normalize(scaled).astype(np.float32).tocsr()

    def bm25(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Each word's Okapi BM25 weight in each row as a document: a query's score against
        the row is the sum of these over the query's words."""
        words = sp.csr_matrix(counts @ sp.diags(~self.is_concept * 1.0))
        words.eliminate_zeros()
        length = np.asarray(words.sum(axis=1)).ravel()
        norm = self.k1 * (1 - self.b + self.b * length / self.avgdl_)
        tf = words.data
        saturated = tf * (self.k1 + 1) / (tf + np.repeat(norm, np.diff(words.indptr)))
        weighted = saturated * self.bm25_idf_[words.indices]
        return sp.csr_matrix(
            (weighted.astype(np.float32), words.indices, words.indptr), shape=words.shape
        )

    @cached_property
    def is_concept(self) -> np.ndarray:
        """Which columns are concept groups rather than words."""
        return np.array([n.startswith(CONCEPT_MARK) for n in self.vocabulary.tolist()], bool)

    @cached_property
    def form_hits(self) -> dict[int, Hit]:
        """The columns of words that name a concept group, with what they name."""
        words = self.vocabulary.tolist()  # a list iterates much faster than an array
        return {col: hit for col, word in enumerate(words) if (hit := concept_of(word))}

    @cached_property
    def form_groups(self) -> sp.csr_matrix:
        """(column × column) 1 where a word's column is a form of the group in the other one."""
        links = [
            (col, group_col)
            for col, (_, groups) in self.form_hits.items()
            for group in groups
            if (group_col := self.columns_.get(CONCEPT_MARK + group)) is not None
        ]
        return ones_at(links, (len(self.vocabulary), len(self.vocabulary)))

    @cached_property
    def is_form(self) -> np.ndarray:
        """Which columns are words that name a concept group."""
        mask = np.zeros(len(self.vocabulary), dtype=bool)
        mask[list(self.form_hits)] = True
        return mask

    @cached_property
    def telling(self) -> np.ndarray:
        """Which columns are words an explanation may list (``explain.is_telling``)."""
        return is_telling(self.vocabulary.tolist()) & ~self.is_concept

    @cached_property
    def is_latin(self) -> np.ndarray:
        """Which columns hold a Latin word, which explanations write as the entries do."""
        return np.fromiter(map(has_lower_latin, self.names.tolist()), bool, len(self.names))

    @cached_property
    def names(self) -> np.ndarray:
        """Column names as shown: words as they are, concept groups without their mark."""
        return np.array([n.removeprefix(CONCEPT_MARK) for n in self.vocabulary.tolist()], object)

    @cached_property
    def scale(self) -> np.ndarray:
        """Column multipliers: the concept weight on concept columns, 1 on words."""
        return np.where(self.is_concept, self.concept_weight, 1.0)

    def state(self) -> dict[str, np.ndarray]:
        """The fitted state as plain arrays."""
        return {
            "vocabulary": self.vocabulary.astype(str),
            "idf": self.tfidf_.idf_,
            "bm25_idf": self.bm25_idf_,
            "avgdl": np.array(self.avgdl_),
        }

    @classmethod
    def from_state(cls, config: MatcherConfig, state: dict) -> _Vectorizer:
        """Rebuild a fitted instance from ``state``."""
        self = _Vectorizer.for_config(config)
        self._set_vocabulary(state["vocabulary"].astype(object))
        self.tfidf_ = TfidfTransformer(norm=None, sublinear_tf=True)
        self.tfidf_.idf_ = state["idf"]
        self.bm25_idf_, self.avgdl_ = state["bm25_idf"], float(state["avgdl"])
        return self

    @staticmethod
    def for_config(config: MatcherConfig) -> _Vectorizer:
        """An unfitted vectoriser with ``config``'s field weights, concept scale and BM25."""
        weights = (config.title_weight, config.body_weight, config.tags_weight)
        return _Vectorizer(weights, config.concept_scale, config.bm25_k1, config.bm25_b)


def character_pairs(word: str) -> Sequence[str]:
    """The distinct overlapping pairs of characters of a Chinese word longer than two; any
    other word whole.

    Two entries that cut one phrase differently (碳盘查 / 碳 盘查, or a Traditional text whose
    segmentation differs) still share its character pairs.
    """
    if len(word) > 2 and _HAN.fullmatch(word):
        return list(dict.fromkeys([word[i : i + 2] for i in range(len(word) - 1)]))
    return (word,)


class _PairVectorizer:
    """Which character pairs each entry uses, and how much of a query's wording each covers.

    ``coverage(query, other)`` is the IDF-weighted share of the query's distinct character
    pairs that the other entry also uses: 1 when it uses every one.
    """

    def fit(self, counts: sp.csr_matrix, names: np.ndarray) -> sp.csr_matrix:
        """Learn the pairs of two entries or more and their IDF from word counts (``names``
        their words); each entry's 0/1 row."""
        # Each distinct word is cut once, and an entry's pairs are those of its words.
        cut = list(map(character_pairs, names.tolist()))
        sizes = np.fromiter(map(len, cut), np.int64, len(cut))
        every = list(chain.from_iterable(cut))
        columns = dict(zip(dict.fromkeys(every), count()))  # in order of first appearance
        cells = np.fromiter(map(columns.__getitem__, every), np.int64, len(every))
        mapping = sp.csr_matrix(
            (np.ones(len(cells), np.float32), (np.repeat(np.arange(len(cut)), sizes), cells)),
            shape=(len(names), len(columns)),
        )
        found = sp.csr_matrix((counts > 0) * 1.0 @ mapping)
        keep = _seen_twice(found)
        self.columns_ = {
            name: n for n, name in enumerate(np.array(list(columns), dtype=object)[keep].tolist())
        }
        found = found[:, keep]
        found.data[:] = 1.0
        n, df = found.shape[0], np.bincount(found.indices, minlength=found.shape[1])
        self.idf_ = np.log((1 + n) / (1 + df)) + 1
        # Which word has which pair, kept for the explanations (see Matcher._word_pair_table).
        self.word_pairs_ = (sp.csr_matrix(mapping[:, keep]), sizes)
        return found.astype(np.float32)

    def found(self, docs: Sequence[dict[str, list[str]]]) -> sp.csr_matrix:
        """0/1 rows over the fitted pairs."""
        return self._found(docs, self.columns_, learn=False)

    def _found(
        self, docs: Sequence[dict[str, list[str]]], columns: dict[str, int], *, learn: bool
    ) -> sp.csr_matrix:
        pairs = [
            list(chain.from_iterable(map(character_pairs, chain(*(d[f] for f in FIELDS)))))
            for d in docs
        ]
        counts = _counted([(pairs, 1.0)], len(docs), columns, learn=learn)
        ones = np.ones_like(counts.data, np.float32)
        return sp.csr_matrix((ones, counts.indices, counts.indptr), shape=counts.shape)

    def query_rows(self, found: sp.csr_matrix) -> sp.csr_matrix:
        """Rows whose product with an entry's 0/1 row is the coverage of the row's wording."""
        weighted = sp.csr_matrix(found @ sp.diags(self.idf_.astype(np.float32)))
        # The total is over the fitted pairs the row uses: a pair used by one entry only is
        # dropped at fit, and a new entry's unknown pairs are dropped alike, so an indexed
        # entry and the same text arriving new get the same coverage.
        total = np.asarray(weighted.sum(axis=1)).ravel()
        return sp.csr_matrix(sp.diags(1 / np.maximum(total, 1e-9)) @ weighted)

    def state(self) -> dict[str, np.ndarray]:
        """The fitted state as plain arrays."""
        return {"pairs": np.array(list(self.columns_), dtype=str), "pair_idf": self.idf_}

    @classmethod
    def from_state(cls, state: dict) -> _PairVectorizer:
        """Rebuild a fitted instance from ``state``."""
        self = cls()
        self.columns_ = {name: n for n, name in enumerate(state["pairs"].tolist())}
        self.idf_ = state["pair_idf"]
        return self


@cache
def _label(text: str) -> str:
    # Districts, fields and qualifications repeat across thousands of entries.
    return normalize(text).strip()


_FIELD_SPLIT = re.compile(r"[/、,，;；|]")


@cache
def _field_families() -> dict[str, frozenset[int]]:
    families: dict[str, frozenset[int]] = {}
    for number, line in enumerate(data_lines("fields.txt")):
        for name in line.split(" = "):
            key = normalize(name.strip())
            families[key] = families.get(key, frozenset()) | {number}
    return families


@cache
def _field_agreement(a: frozenset[str], b: frozenset[str]) -> int:
    """2 if the two entries share a field, 1 if their fields are of one family, else 0."""
    if a & b:
        return 2
    families = _field_families()
    fam_a = frozenset().union(*(families.get(f, frozenset()) for f in a))
    fam_b = frozenset().union(*(families.get(f, frozenset()) for f in b))
    return 1 if fam_a & fam_b else 0


def _agreement(s: _Index, s_rows: np.ndarray, c: _Index, c_rows: np.ndarray) -> np.ndarray:
    """_field_agreement of each pair, worked out once per pair of distinct field sets."""
    table = np.array([[_field_agreement(a, b) for b in c.fields] for a in s.fields], np.int8)
    # reshape: an empty side would otherwise leave a one-dimensional table.
    return table.reshape(len(s.fields), len(c.fields))[s.field_codes[s_rows], c.field_codes[c_rows]]


@cache
def _fields(field: str | None) -> frozenset[str]:
    # One answer per distinct field text: a list has a few dozen fields over its entries.
    if not field:
        return frozenset()
    return frozenset(_label(f) for f in _FIELD_SPLIT.split(field) if f.strip())


@dataclass
class _Index:
    """One side's entries as vectors and arrays, ready for pair scoring."""

    entries: list[Entry]
    vectors: sp.csr_matrix  # TF-IDF over words and concepts; candidates are searched on it
    forms: sp.csr_matrix  # the columns of words that are concept forms (for explanations)
    concepts: sp.csr_matrix  # ``vectors`` on the concept columns only
    bm25: sp.csr_matrix  # each word's BM25 weight in the entry as a document
    words: sp.csr_matrix  # 0/1: the words the entry uses, as a BM25 query
    pairs: sp.csr_matrix  # 0/1: the character pairs the entry uses
    coverage: sp.csr_matrix  # the entry's pairs as a query whose product is a coverage
    latent: np.ndarray
    titles: np.ndarray
    bare_titles: np.ndarray  # the same without spaces: whether two share any character
    tag_text: np.ndarray
    fields: list[frozenset[str]]  # the distinct field sets of this side
    field_codes: np.ndarray  # each entry's position in ``fields``
    districts: np.ndarray
    budgets: np.ndarray
    qualifications: list[frozenset[str]]
    requires: np.ndarray  # whether each entry names any qualification
    # What the candidate searches read of the rows (see ``Matcher._searchable``).
    searchable: tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def take(self, rows: slice | np.ndarray) -> _Index:
        """The entries at ``rows`` (a slice, or positions), as an index of their own: a block
        or shard of this side, or the few rows an explanation needs."""
        return dataclasses.replace(
            self,
            entries=_picked(self.entries, rows),
            vectors=self.vectors[rows],
            forms=self.forms[rows],
            concepts=self.concepts[rows],
            bm25=self.bm25[rows],
            words=self.words[rows],
            pairs=self.pairs[rows],
            coverage=self.coverage[rows],
            latent=self.latent[rows],
            titles=self.titles[rows],
            bare_titles=self.bare_titles[rows],
            tag_text=self.tag_text[rows],
            field_codes=self.field_codes[rows],
            districts=self.districts[rows],
            budgets=self.budgets[rows],
            qualifications=_picked(self.qualifications, rows),
            requires=self.requires[rows],
            searchable=None
            if self.searchable is None
            else (self.searchable[0][rows], self.searchable[1][rows], self.searchable[2][rows]),
        )

    def joined(self, more: _Index) -> _Index:
        """This index followed by the entries of ``more``."""
        searchable = None
        if self.searchable is not None and more.searchable is not None:
            searchable = tuple(
                sp.vstack([mine, theirs], format="csr")
                for mine, theirs in zip(self.searchable, more.searchable, strict=True)
            )
        fields = list(dict.fromkeys([*self.fields, *more.fields]))
        code = np.array([fields.index(f) for f in more.fields], dtype=np.int64)
        return dataclasses.replace(
            self,
            entries=[*self.entries, *more.entries],
            **{
                name: sp.vstack([getattr(self, name), getattr(more, name)], format="csr")
                for name in ("vectors", "forms", "concepts", "bm25", "words", "pairs", "coverage")
            },
            **{
                name: np.concatenate([getattr(self, name), getattr(more, name)])
                for name in (
                    "latent",
                    "titles",
                    "bare_titles",
                    "tag_text",
                    "districts",
                    "budgets",
                    "requires",
                )
            },
            fields=fields,
            field_codes=np.concatenate([self.field_codes, code[more.field_codes]]),
            qualifications=[*self.qualifications, *more.qualifications],
            searchable=searchable,
        )


T = TypeVar("T")


def _picked(items: list[T], rows: slice | np.ndarray) -> list[T]:
    return items[rows] if isinstance(rows, slice) else [items[i] for i in rows.tolist()]


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    # Fitting and explaining make millions of small objects, which trigger full collections
    # that walk every token list of the index (a fifth of a re-match's time); none of it is
    # cyclic garbage.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tie_breakers(entries: Sequence[Entry]) -> np.ndarray:
    """A number in [0, 1) for each entry, fixed by its id (not by where it is listed)."""
    return np.array([zlib.crc32(e.id.encode()) / 2**32 for e in entries])


def _rowwise(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """The dot product of each row of ``a`` with the same row of ``b``."""
    return np.asarray(a.multiply(b).sum(axis=1), dtype=np.float64).ravel()


def _per_query_max(queries: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Each query's largest value (0 for a query without pairs), for each pair."""
    best = np.zeros(n)
    np.maximum.at(best, queries, values)
    return best[queries]


def _share_of_best(queries: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Each value as a share of its query's largest (0 where that is 0)."""
    best = _per_query_max(queries, values, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(best > 0, values / best, 0.0)


def _search_side(index: _Index) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """What a query's searches multiply with: the side's searchable rows, transposed once."""
    assert index.searchable is not None
    return index.searchable[0].T.tocsr(), index.searchable[2].T.tocsr()


class Matcher:
    """Recommends capabilities for scenarios and scenarios for capabilities."""

    def __init__(self, config: MatcherConfig | None = None):
        self.config = config or MatcherConfig()
        # When the indexed entries were read (ISO 8601), set by whoever read them; kept by
        # save and load, so that entries posted since can be found (``recommend_for``).
        self.read_at = ""

    # ----- fitting -------------------------------------------------------------------------

    @_no_cyclic_gc()
    def fit(self, scenarios: Sequence[Entry], capabilities: Sequence[Entry]) -> Self:
        """Learn the vocabularies, IDFs and the latent space from both lists, and index them."""
        cfg = self.config
        docs = [e.words for e in (*scenarios, *capabilities)]
        self.vectorizer_ = _Vectorizer.for_config(cfg)
        words, names = self.vectorizer_.words(docs)
        counts = self.vectorizer_.fit(words, names)
        vectors = self.vectorizer_.tfidf(counts)
        self.pair_vectorizer_ = _PairVectorizer()
        found = self.pair_vectorizer_.fit(words, names)
        # The explanations' word × pair table, from the words already cut: the vocabulary's
        # word columns are some of the counted words (concept columns come after them).
        word_pairs, sizes = self.pair_vectorizer_.word_pairs_
        kept = self.vectorizer_.kept_
        is_word = kept < len(names)
        table = word_pairs[np.where(is_word, kept, 0)].multiply(is_word[:, None]).tocsr()
        self.__dict__["_word_pair_table"] = (
            table,
            np.where(is_word, sizes[np.minimum(kept, len(names) - 1)], 0),
        )
        sample = min(vectors.shape[0], cfg.latent_sample)
        dims = min(cfg.latent_dims, sample - 1, vectors.shape[1] - 1)
        if dims > 0:
            # Two power iterations, not five: the axes only have to group words that occur
            # together, and on seed/eval more iterations bought nothing (docs/matcher.md).
            # BLAS threads as configured: on a busy two-core host, the default (all cores)
            # made this small decomposition ten times slower than one thread.
            # The axes are learnt from a sample of the entries at most ``latent_sample`` long:
            # co-occurring words co-occur in any large enough sample, and the decomposition's
            # cost grows with the rows it reads.
            rows = np.random.default_rng(0).permutation(vectors.shape[0])[:sample]
            with threadpool_limits(limits=cfg.n_threads or None, user_api="blas"):
                svd = TruncatedSVD(n_components=dims, n_iter=2, random_state=0)
                svd.fit(vectors[np.sort(rows)])
            self.components_ = svd.components_.astype(np.float32)
        else:
            self.components_ = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        n = len(scenarios)
        self._set_index(
            self._index(scenarios, counts[:n], vectors[:n], found[:n]),
            self._index(capabilities, counts[n:], vectors[n:], found[n:]),
        )
        return self

    def _set_index(self, scenarios: _Index, capabilities: _Index) -> None:
        self.scenarios_ = scenarios
        self.capabilities_ = capabilities
        n = len(scenarios) + len(capabilities)
        # Smoothed IDF is ln((1 + n) / (1 + df)) + 1, which gives back each feature's df.
        self._rare_ = self._rare(self.vectorizer_.tfidf_.idf_, n)
        self._rare_pairs_ = self._rare(self.pair_vectorizer_.idf_, n)
        for index in (scenarios, capabilities):
            index.searchable = self._searchable(index)
        # Each side as the other's queries search it, transposed once here, not per query.
        self._transposed_ = {
            "scenario": _search_side(capabilities),
            "capability": _search_side(scenarios),
        }

    def _rare(self, idf: np.ndarray, n: int) -> sp.dia_matrix:
        """1 on the features the searches read: those in at most ``search_max_share`` of the
        entries, or in fewer than a few hundred."""
        df = (1 + n) * np.exp(1.0 - idf) - 1
        common = (df > self.config.search_max_share * n) & (df > _SHORT_POSTINGS)
        return sp.diags((~common).astype(np.float32))

    def _searchable(self, index: _Index) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """What the candidate searches read of ``index``: its rarer features, heaviest first.

        A feature in more than ``search_max_share`` of all entries (and more than a few
        hundred) is left out, and of the rest a query row keeps its ``search_terms``
        heaviest: common words have long posting lists that would make the product all-pairs
        while barely moving a cosine. (TF-IDF rows; character-pair coverage rows as a query;
        the 0/1 character-pair rows as searched.) Candidates are then scored on everything.
        """
        # Each row scaled by 1 + 1e-9 of a number its entry's id fixes, in double precision:
        # equal products (common with 0/1 pair rows) are then ordered by entry, wherever the
        # row is, so that a search over shards keeps the candidates one search over the whole
        # side keeps (``narrowed``).
        order = sp.diags(1 + 1e-9 * _tie_breakers(index.entries))
        words = sp.csr_matrix(order @ index.vectors.astype(np.float64) @ self._rare_)
        pairs = sp.csr_matrix(index.coverage.astype(np.float64) @ self._rare_pairs_)
        searched = sp.csr_matrix(order @ index.pairs.astype(np.float64) @ self._rare_pairs_)
        for matrix in (words, pairs, searched):
            matrix.eliminate_zeros()
        terms = self.config.search_terms
        return heaviest(words, terms), heaviest(pairs, terms), searched

    def _vectorized(self, entries: Sequence[Entry]) -> _Index:
        docs = [e.words for e in entries]
        counts = self.vectorizer_.counts(docs)
        vectors = self.vectorizer_.tfidf(counts)
        return self._index(entries, counts, vectors, self.pair_vectorizer_.found(docs))

    def _index(
        self,
        entries: Sequence[Entry],
        counts: sp.csr_matrix,
        vectors: sp.csr_matrix,
        found: sp.csr_matrix,
    ) -> _Index:
        docs = [e.words for e in entries]
        latent = np.asarray(vectors @ self.components_.T, dtype=np.float32)
        if latent.size:  # scikit-learn refuses an empty array, even one with no rows
            latent = l2_normalize(latent)
        entry_fields = [_fields(e.field) for e in entries]
        field_sets = list(dict.fromkeys(entry_fields))
        code = {fields: n for n, fields in enumerate(field_sets)}
        quals = [frozenset(map(_label, e.qualifications)) for e in entries]
        bm25 = self.vectorizer_.bm25(counts)
        return _Index(
            entries=list(entries),
            vectors=vectors,
            forms=_columns_of(vectors, self.vectorizer_.is_form),
            concepts=_columns_of(vectors, self.vectorizer_.is_concept),
            bm25=bm25,
            words=sp.csr_matrix((np.ones_like(bm25.data), bm25.indices, bm25.indptr), bm25.shape),
            pairs=found,
            coverage=self.pair_vectorizer_.query_rows(found),
            latent=latent,
            titles=np.array([" ".join(d["title"]) for d in docs], dtype=object),
            bare_titles=np.array(["".join(d["title"]) for d in docs], dtype=object),
            # Sorted, so that the order tags were typed in does not matter to the ratio.
            tag_text=np.array(
                [" ".join(sorted(p.replace(" ", "") for p in d.get("phrases", ()))) for d in docs],
                dtype=object,
            ),
            fields=field_sets,
            field_codes=np.array([code[f] for f in entry_fields], dtype=np.int64),
            districts=np.array([_label(e.district or "") for e in entries], dtype=object),
            budgets=np.array([np.nan if e.budget_wan is None else e.budget_wan for e in entries]),
            qualifications=quals,
            requires=np.array([bool(q) for q in quals], dtype=bool),
        )

    # ----- scoring -------------------------------------------------------------------------

    def _features(
        self,
        side: Side,
        query: _Index,
        q_rows: np.ndarray,
        other: _Index,
        o_rows: np.ndarray,
        *,
        every: bool = False,
    ) -> dict[str, np.ndarray]:
        """The similarities of each (query, other) pair, before any weighting.

        Only what the blend weighs is computed, or everything when ``every``. ``bm25`` and
        ``coverage`` are raw here; ``finished`` makes them shares of the query's best.
        """
        cfg = self.config
        s, s_rows, c, c_rows = _oriented(side, query, q_rows, other, o_rows)
        wanted = {n for n in (*CONTENT_PARTS, *STRUCTURED_PARTS) if every or getattr(cfg, n, 0)}
        f: dict[str, np.ndarray] = {}
        if "lexical" in wanted:
            # The cosine, split into what shared words and what shared concepts contribute.
            products = s.vectors[s_rows].multiply(c.vectors[c_rows]).tocsr()
            concept = products @ self.vectorizer_.is_concept.astype(np.float64)
            f["lexical"] = np.asarray(products.sum(axis=1), dtype=np.float64).ravel() - concept
            f["concept"] = concept
        elif "concept" in wanted:
            # The concepts' share alone reads far shorter rows than the whole cosine.
            f["concept"] = _rowwise(s.concepts[s_rows], c.concepts[c_rows])
        if wanted & {"latent", "feedback"}:
            cosine = np.einsum("ij,ij->i", s.latent[s_rows], c.latent[c_rows])
            f["latent"] = np.clip(cosine, 0, None).astype(np.float64)
        if "bm25" in wanted:
            f["bm25"] = _rowwise(query.words[q_rows], other.bm25[o_rows])
        if "coverage" in wanted:
            f["coverage"] = _rowwise(query.coverage[q_rows], other.pairs[o_rows])
        workers = cfg.n_threads or -1
        if "fuzzy_title" in wanted:
            ratio = process.cpdist(
                s.titles[s_rows], c.titles[c_rows], scorer=fuzz.ratio, workers=workers
            )
            shared = process.cpdist(
                s.bare_titles[s_rows], c.bare_titles[c_rows], scorer=fuzz.ratio, workers=workers
            )
            f["fuzzy_title"] = np.where(shared > 0, ratio, 0) / 100
        if "fuzzy_tags" in wanted:
            ratio = process.cpdist(
                s.tag_text[s_rows], c.tag_text[c_rows], scorer=fuzz.ratio, workers=workers
            )
            f["fuzzy_tags"] = ratio / 100
        if every or cfg.same_field or cfg.related_field:
            agreement = _agreement(s, s_rows, c, c_rows)
            f["same_field"] = (agreement == 2) * 1.0
            f["related_field"] = (agreement == 1) * 1.0
        if every or cfg.same_district:
            district = s.districts[s_rows]
            f["same_district"] = ((district == c.districts[c_rows]) & (district != "")) * 1.0
        if every or cfg.qualification:
            # Only the few scenarios that require something need looking at.
            held = np.zeros(len(s_rows))
            for n in np.flatnonzero(s.requires[s_rows]).tolist():
                required = s.qualifications[s_rows[n]]
                held[n] = len(required & c.qualifications[c_rows[n]]) / len(required)
            f["qualification"] = held
        if every or cfg.budget:
            # A capability's budget is the smallest project it takes on: it fits when the
            # scenario's budget reaches it. Unknown on either side says nothing.
            with np.errstate(invalid="ignore"):
                f["budget"] = (s.budgets[s_rows] >= c.budgets[c_rows]) * 1.0
        return f

    def candidates(
        self,
        side: Side,
        block: _Index,
        other: _Index,
        transposed: tuple[sp.csr_matrix, sp.csr_matrix],
        *,
        every: bool = False,
    ) -> tuple[_Pairs, np.ndarray]:
        """Each ``block`` row's candidates in ``other``, with their similarities (``_features``).

        The candidates are the union of two searches: the ``candidates`` best by TF-IDF
        cosine and the ``coverage_candidates`` best by character-pair coverage, each on its
        searchable features (``transposed`` is ``_search_side(other)``). Both searches'
        products come back beside the pairs, one column each (0: not found by that search),
        so that candidates found in several shards of the other side can be narrowed to the
        same ones (``narrowed``).
        """
        cfg = self.config
        found = [
            sp_matmul_topn(
                block.searchable[n],
                transposed[n],
                top_n=top,
                n_threads=cfg.n_threads or None,
            ).tocoo()
            for n, top in ((0, cfg.candidates), (1, cfg.coverage_candidates))
            if top
        ]
        width = max(len(other), 1)
        keys = [f.row.astype(np.int64) * width + f.col for f in found]
        union = np.unique(np.concatenate(keys)) if keys else np.empty(0, np.int64)
        search = np.zeros((len(union), 2))
        for n, (f, key) in enumerate(zip(found, keys, strict=True)):
            search[np.searchsorted(union, key), n] = f.data
        rows, others = union // width, union % width
        features = self._features(side, block, rows, other, others, every=every)
        return _Pairs(rows, others, features), search

    def narrowed(self, pairs: _Pairs, search: np.ndarray) -> _Pairs:
        """The pairs each search would have found over the whole other side."""
        keep = np.zeros(len(pairs.query), bool)
        for n, top in enumerate((self.config.candidates, self.config.coverage_candidates)):
            found = np.flatnonzero(search[:, n] > 0)
            chosen = rank.top_k(pairs.query[found], search[found, n], pairs.other[found], top)
            keep[found[chosen]] = True
        return pairs.take(np.flatnonzero(keep))

    def finished(self, pairs: _Pairs, queries: int, other_latent: np.ndarray) -> _Pairs:
        """The pairs' weighted parts, keeping the pairs scoring at least ``min_score``.

        ``pairs`` carry their similarities (``candidates``); ``queries`` is how many query
        rows ``pairs.query`` counts from 0, and ``other_latent`` the whole other side's
        latent rows (``pairs.other`` indexes it).
        """
        done = self.completed(pairs, queries, other_latent)
        weighted = done._replace(parts=self._blended(done.parts, pairs.query, queries))
        return weighted.take(np.flatnonzero(weighted.total >= self.config.min_score))

    def completed(
        self, pairs: _Pairs, queries: int, other_latent: np.ndarray, *, every: bool = False
    ) -> _Pairs:
        """The pairs with their similarities made final: BM25 and coverage as shares of the
        query's best candidate, and the feedback added (when weighed, or ``every``) with
        each query's feedback centroid, which explains it."""
        cfg = self.config
        features = dict(pairs.parts)
        for name in ("bm25", "coverage"):
            if name in features:
                features[name] = _share_of_best(pairs.query, features[name], queries)
        if "latent" in features and (cfg.feedback or every):
            features["feedback"], centroids, own = self._feedback(
                pairs, features, queries, other_latent
            )
            return pairs._replace(parts=features, anchors=centroids, anchor=pairs.query, own=own)
        return pairs._replace(parts=features)

    def _feedback(
        self,
        pairs: _Pairs,
        features: dict[str, np.ndarray],
        queries: int,
        other_latent: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pseudo-relevance feedback: what a query's best first matches have in common.

        The query's ``feedback_docs`` best matches on the other content parts speak the
        other side's own vocabulary (a buyer's 免召回 next to the firms' OTA). Their mean in
        the LSA space, each weighted by its content score, is the query's feedback, and a
        candidate's closeness to it is the "feedback" similarity. A query whose best matches
        are weak gets little from it. Structured agreement plays no part in choosing them:
        same-field neighbours would pull the feedback towards the query's field.
        Returns the closeness of each pair, each query's centroid, and each pair's own weight
        in its query's centroid (0 for a candidate not among the best matches).
        """
        cfg = self.config
        first = sum(
            (cfg.blend[name] * features[name] for name in CONTENT_PARTS if name in features),
            np.zeros(len(pairs.query)),
        )
        best = rank.top_k(pairs.query, first, pairs.other, cfg.feedback_docs)
        weights = sp.csr_matrix(
            (first[best] / cfg.feedback_docs, (pairs.query[best], pairs.other[best])),
            shape=(queries, len(other_latent)),
            dtype=np.float32,
        )
        # Closeness in the latent space: as good on the seed as the TF-IDF closeness, at a
        # fraction of the cost (dense 64-wide rows instead of wide sparse centroids).
        latent = weights @ other_latent
        closeness = np.einsum("ij,ij->i", latent[pairs.query], other_latent[pairs.other])
        own = np.zeros(len(pairs.query), np.float32)
        own[best] = first[best] / cfg.feedback_docs
        return np.clip(closeness, 0, None).astype(np.float64), latent, own

    def _blended(
        self, features: dict[str, np.ndarray], queries: np.ndarray, n_queries: int
    ) -> dict[str, np.ndarray]:
        """The weighted parts: content parts by the blend, structured ones as shares of it."""
        cfg = self.config
        parts = {
            name: weight * features[name]
            for name, weight in cfg.blend.items()
            if weight and name in features
        }
        content = sum(parts.values(), np.zeros(len(queries)))
        # Agreement counts only for candidates whose content is near the query's best: it
        # orders the ones that say the right things and cannot lift one that does not.
        gated = content * (
            content >= cfg.agreement_gate * _per_query_max(queries, content, n_queries)
        )
        if cfg.same_field or cfg.related_field:
            parts["field"] = gated * (
                cfg.same_field * features["same_field"]
                + cfg.related_field * features["related_field"]
            )
        for part, name in (
            ("district", "same_district"),
            ("qualification", "qualification"),
            ("budget", "budget"),
        ):
            if getattr(cfg, name):
                parts[part] = gated * getattr(cfg, name) * features[name]
        return parts

    def _scored(
        self, query: _Index, side: Side, progress: Callable[[int], None] | None = None
    ) -> _Pairs:
        """Each query's candidates scoring at least ``min_score``, with their parts."""
        other = self.sides(side)[1]
        if query.searchable is None:  # an entry from outside the index
            query.searchable = self._searchable(query)
        kept = []
        for start in range(0, len(query), _CHUNK):
            block = query.take(slice(start, min(start + _CHUNK, len(query))))
            pairs, _ = self.candidates(side, block, other, self._transposed_[side])
            kept.append(self.finished(pairs, len(block), other.latent).shifted(start))
            if progress:
                progress(len(block))
        return _Pairs.concat(kept)

    @_no_cyclic_gc()
    def features(
        self, also: Sequence[tuple[str, str]] = ()
    ) -> tuple[list[str], list[str], dict[str, np.ndarray]]:
        """Every similarity of each scenario's candidates and of the (scenario id, capability
        id) pairs ``also``, unweighted, as a re-match computes them before blending:
        (scenario ids, capability ids, similarities by name). What weights are learnt from.
        """
        s, c = self.scenarios_, self.capabilities_
        s_row = {e.id: n for n, e in enumerate(s.entries)}
        c_row = {e.id: n for n, e in enumerate(c.entries)}
        width = max(len(c), 1)
        wanted = np.array(
            [s_row[a] * width + c_row[b] for a, b in also if a in s_row and b in c_row], np.int64
        )
        s_ids, c_ids, pieces = [], [], []
        for start in range(0, len(s), _CHUNK):
            block = s.take(slice(start, min(start + _CHUNK, len(s))))
            found, _ = self.candidates(
                "scenario", block, c, self._transposed_["scenario"], every=True
            )
            mine = wanted[(wanted >= start * width) & (wanted < (start + len(block)) * width)]
            missing = np.setdiff1d(mine - start * width, found.query * width + found.other)
            rows, others = missing // width, missing % width
            extra = self._features("scenario", block, rows, c, others, every=True)
            pairs = _Pairs.concat([found, _Pairs(rows, others, extra)])
            pieces.append(self.completed(pairs, len(block), c.latent, every=True).parts)
            s_ids += [block.entries[i].id for i in pairs.query.tolist()]
            c_ids += [c.entries[j].id for j in pairs.other.tolist()]
        names = pieces[0].keys() if pieces else ()
        return s_ids, c_ids, {name: np.concatenate([p[name] for p in pieces]) for name in names}

    # ----- answers -------------------------------------------------------------------------

    @_no_cyclic_gc()
    def rematch(
        self,
        *,
        k: int = 10,
        cap: int | None = DEFAULT_CAP,
        side: Side = "scenario",
        progress: Callable[[int], None] | None = None,
    ) -> list[Recommendation]:
        """Recommendations for every entry of ``side`` (default: top-k capabilities per scenario).

        ``cap`` limits how often one entry of the other side is recommended in the batch
        (None: no cap). ``progress`` is called with the number of query entries done.
        """
        query, other = self.sides(side)
        pairs = self._scored(query, side, progress)
        chosen = rank.chosen(pairs.query, pairs.total, pairs.other, k, cap)
        return self.explain(side, query, other, pairs.take(chosen))

    def shard(self, entries: Sequence[Entry]) -> Shard:
        """``entries`` weighed with the fitted vocabulary and IDF, ready to be searched beside
        the index (``recommend_for``): entries posted since the fit. Nothing is refitted."""
        index = self._vectorized(entries)
        index.searchable = self._searchable(index)
        return Shard(index, _search_side(index))

    @_no_cyclic_gc()
    def recommend_for(
        self, entry: Entry, *, side: Side, k: int = 10, newcomers: Shard | None = None
    ) -> list[Recommendation]:
        """Top-k for one entry (a scenario if ``side`` is "scenario") against the fitted index
        and ``newcomers``, a ``shard`` of other-side entries posted since the fit, searched as
        one more shard of the index (the next fit indexes them)."""
        query = self._vectorized([entry])
        other = self.sides(side)[1]
        if newcomers is None or not len(newcomers.index):
            pairs = self._scored(query, side)
            chosen = pairs.take(rank.top_k(pairs.query, pairs.total, pairs.other, k))
            return self.explain(side, query, other, chosen)
        query.searchable = self._searchable(query)
        extra = newcomers.index
        pairs, search = self.candidates(side, query, other, self._transposed_[side])
        more, more_search = self.candidates(side, query, extra, newcomers.transposed)
        both = _Pairs.concat([pairs, more.shifted(others=len(other))])
        pairs = self.finished(
            self.narrowed(both, np.concatenate([search, more_search])),
            1,
            np.concatenate([other.latent, extra.latent]),
        )
        chosen = pairs.take(rank.top_k(pairs.query, pairs.total, pairs.other, k))
        # Explained on the rows they name alone: the index's, then the newcomers'.
        rows, at = np.unique(chosen.other, return_inverse=True)
        old = rows < len(other)
        shown = other.take(rows[old]).joined(extra.take(rows[~old] - len(other)))
        return self.explain(side, query, shown, chosen._replace(other=at))

    # ----- explanations --------------------------------------------------------------------

    @_no_cyclic_gc()  # also where a cluster's worker runs it on its own (``distributed``)
    def explain(
        self, side: Side, query: _Index, other: _Index, pairs: _Pairs
    ) -> list[Recommendation]:
        """The recommendations, each with its explanation, of ``pairs`` of the two indexes.

        ``pairs`` carry their weighted parts (``finished``).
        """
        s, s_rows, c, c_rows = _oriented(side, query, pairs.query, other, pairs.other)
        shared = s.vectors[s_rows].multiply(c.vectors[c_rows]).tocsr()
        is_concept = self.vectorizer_.is_concept
        names = self.vectorizer_.names
        # The character pairs both entries use, for the coverage part's words and reason.
        found = (
            query.pairs[pairs.query].multiply(other.pairs[pairs.other]).tocsr()
            if "coverage" in pairs.parts
            else None
        )
        # Each shared word's share of the score; only words that tell a reader something
        # are listed (columns sorted again after the product: ties go to the first column).
        shares = self._term_shares(query, other, pairs, shared, found)
        listed = sp.csr_matrix(shares @ sp.diags(self.vectorizer_.telling.astype(np.float64)))
        terms = best_per_row(listed.sorted_indices(), self.config.explain_terms, names)
        # Concept reasons are for groups the two sides name differently: a group both name
        # with one same word is left out here (that word is among the shared terms).
        shared_concepts = shared @ sp.diags(is_concept * 1.0)
        named_alike = (shared @ self.vectorizer_.form_groups) > 0
        concepts = best_per_row(
            shared_concepts - shared_concepts.multiply(named_alike),
            self.config.explain_terms,
            names,
        )
        reasons = _structured_reasons(s, s_rows, c, c_rows)
        if found is not None:
            # What the coverage part measured, as a share of the asking entry's wording.
            idf = self.pair_vectorizer_.idf_
            total = np.asarray(query.pairs @ idf).ravel()[pairs.query]
            with np.errstate(invalid="ignore", divide="ignore"):
                covered = np.where(total > 0, (found @ idf) / total, 0.0)
            shown = np.flatnonzero(pairs.parts["coverage"] > 0)
            for n, share in zip(shown.tolist(), covered[shown].tolist(), strict=True):
                reasons[n].append(("coverage", f"{share:.0%}"))
        explainer = Explainer(self.vectorizer_.form_hits)
        s_distinct, s_slots = np.unique(s_rows, return_inverse=True)
        c_distinct, c_slots = np.unique(c_rows, return_inverse=True)
        scenarios = [s.entries[i] for i in s_rows.tolist()]
        capabilities = [c.entries[j] for j in c_rows.tolist()]
        for n in np.flatnonzero([bool(found) for found in concepts]).tolist():
            reasons[n] += explainer.concept_reasons(
                (scenarios[n], _columns(s.forms, s_rows[n])),
                (capabilities[n], _columns(c.forms, c_rows[n])),
                [group for group, _ in concepts[n]],
            )
        traced = self._traced_words(query, other, pairs)
        latin_as_written(traced, scenarios, capabilities)
        add_part_reasons(
            reasons,
            side,
            pairs.parts,
            self.config.blend,
            terms,
            {"concept": self._alike_words(shared, pairs, reasons), **traced},
        )
        # Only the pairs listing a Latin word or a rewritten one are looked at (a sparse
        # product finds them).
        columns = np.flatnonzero(listed.getnnz(axis=0))
        listed_names = names[columns].tolist()
        sources = mainland_sources(listed_names)
        respelled = self.vectorizer_.is_latin.copy()
        respelled[columns[[name in sources for name in listed_names]]] = True
        as_written(
            terms, np.flatnonzero((listed > 0) @ respelled), scenarios, capabilities, sources
        )
        names = list(pairs.parts)
        values = zip(*(part.tolist() for part in pairs.parts.values()), strict=True)
        # Built column by column: one Python step per pair and field, no more.
        return list(
            map(
                Recommendation,
                [scenario.id for scenario in scenarios],
                [capability.id for capability in capabilities],
                pairs.total.tolist(),
                [dict(zip(names, row, strict=True)) for row in values],
                terms,
                matched_tags(
                    [s.entries[i] for i in s_distinct.tolist()],
                    s_slots,
                    [c.entries[j] for j in c_distinct.tolist()],
                    c_slots,
                ),
                reasons,
            )
        )

    def _alike_words(
        self, shared: sp.csr_matrix, pairs: _Pairs, reasons: list[list[tuple[str, str]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """For the pairs whose concept part shows but names no concept in other words:
        their positions, and the heaviest shared word of each that names a concept (both
        sides use it)."""
        shown = np.array(
            [
                n
                for n in np.flatnonzero(
                    pairs.parts.get("concept", np.zeros(len(pairs.query))) >= VISIBLE
                ).tolist()
                if not any(PART_OF.get(code) == "concept" for code, _ in reasons[n])
            ],
            dtype=np.int64,
        )
        forms = sp.diags(self.vectorizer_.is_form.astype(np.float32))
        found = best_per_row(shared[shown] @ forms, 1, self.vectorizer_.names)
        named = np.array([bool(row) for row in found], dtype=bool)
        return shown[named], np.array([row[0][0] for row in found if row], dtype=object)

    def _traced_words(
        self, query: _Index, other: _Index, pairs: _Pairs
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """For the pairs whose latent or feedback part shows, by part: their positions, and
        the candidate's words that carry the part there (towards the query's latent row, and
        towards the query's feedback centroid)."""
        directions: dict[str, Callable[[np.ndarray], np.ndarray]] = {}
        if "latent" in pairs.parts:
            directions["latent"] = lambda at: query.latent[pairs.query[at]]
        if "feedback" in pairs.parts and pairs.anchors is not None and pairs.own is not None:
            # Towards the query's other best matches: a candidate among them is close to the
            # centroid partly because it is in it, and its own words would explain that.
            own, anchors, anchor = pairs.own, pairs.anchors, pairs.anchor
            directions["feedback"] = lambda at: (
                anchors[anchor[at]] - own[at, None] * other.latent[pairs.other[at]]
            )
        if not directions:
            return {}
        shown = {part: pairs.parts[part] >= VISIBLE for part in directions}
        at = np.flatnonzero(np.logical_or.reduce(list(shown.values())))
        tracer = Tracer(self.components_, self.vectorizer_.telling, self.vectorizer_.names)
        # The candidates' searchable TF-IDF rows first: their heaviest rarer words, what an
        # explanation would name anyway, at a third of the full rows' length.
        assert other.searchable is not None
        words = tracer.words(
            other.searchable[0],
            pairs.other[at],
            {part: find(at) for part, find in directions.items()},
        )
        found = {}
        for part, values in words.items():
            at_part, values = at[shown[part][at]], values[shown[part][at]]
            # Seldom, none of those words brings anything: then all of the candidate's words
            # are traced. Where still none does, the part comes from words no explanation
            # lists, and the reason says so with no words ("").
            missing = np.flatnonzero(values == "")
            if len(missing):
                retry = at_part[missing]
                everything = {part: directions[part](retry)}
                traced = tracer.words(other.vectors, pairs.other[retry], everything, None)
                values[missing] = traced[part]
            found[part] = (at_part, values)
        return found

    def _term_shares(
        self,
        query: _Index,
        other: _Index,
        pairs: _Pairs,
        shared: sp.csr_matrix,
        found: sp.csr_matrix | None,
    ) -> sp.csr_matrix:
        """(pair × word) how much of the pair's score each shared word carries.

        The word parts are sums over words: the lexical part over the words' products in the
        cosine, BM25 over the words' weights in the other entry, and the coverage over the
        character pairs of the asking entry's words whose every pair the other entry uses
        (碳盘查 is shared with an entry that writes 碳 盘查; ``found`` holds the pairs both
        use). Each part's value is split over its words in those proportions, so the shares
        add up to the parts.
        """
        words = sp.diags(1.0 - self.vectorizer_.is_concept)
        per_part = {"lexical": shared @ words}
        if "bm25" in pairs.parts:
            per_part["bm25"] = query.words[pairs.query].multiply(other.bm25[pairs.other])
        if found is not None:
            # A word counts with the IDF of its pairs when the other entry has all of them.
            word_pairs, sizes = self._word_pair_table
            covered = sp.csr_matrix(found @ word_pairs.T).multiply(query.words[pairs.query])
            covered.data = (covered.data >= sizes[covered.indices]) * (
                word_pairs @ self.pair_vectorizer_.idf_
            )[covered.indices]
            per_part["coverage"] = covered
        shares = sp.csr_matrix(shared.shape, dtype=np.float64)
        for name, by_word in per_part.items():
            value = pairs.parts.get(name)
            if value is None:
                continue
            total = np.asarray(by_word.sum(axis=1)).ravel()
            with np.errstate(invalid="ignore", divide="ignore"):
                scale = np.where(total > 0, value / total, 0.0)
            shares = shares + sp.diags(scale) @ sp.csr_matrix(by_word, dtype=np.float64)
        return sp.csr_matrix(shares)

    @cached_property
    def _word_pair_table(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """(word column × character-pair column) 1 where the pair is in the word, and how
        many distinct pairs each word has (unknown pairs included, so that a word with a pair
        no other entry uses is never wholly covered; 0 for concept columns)."""
        columns = self.pair_vectorizer_.columns_
        cells, sizes = [], []
        for n, word in enumerate(self.vectorizer_.vocabulary.tolist()):
            if word.startswith(CONCEPT_MARK):
                sizes.append(0)
                continue
            pairs = character_pairs(word)
            sizes.append(len(pairs))
            cells += [(n, col) for pair in pairs if (col := columns.get(pair)) is not None]
        shape = (len(sizes), len(columns))
        return ones_at(cells, shape), np.array(sizes)

    def reweighted(self, weights: dict[str, float], weight_set: int | None = None) -> Matcher:
        """This fitted matcher blending its parts by ``weights`` instead; nothing is refitted
        (the blend plays no part in the vocabularies, the IDFs or the latent space)."""
        twin = copy.copy(self)
        twin.config = self.config.with_blend(weights, weight_set)
        return twin

    def without_index(self) -> Matcher:
        """The fitted vocabulary, IDF and latent axes without the indexed entries: what
        workers need beside their own blocks and shards (see ``distributed``)."""
        fitted = Matcher(self.config)
        fitted.vectorizer_, fitted.components_ = self.vectorizer_, self.components_
        fitted.pair_vectorizer_ = self.pair_vectorizer_
        return fitted

    def indexed(self, side: Side) -> frozenset[str]:
        """The ids of the entries in the ``side`` index."""
        return self._indexed_ids[side]

    @cached_property
    def _indexed_ids(self) -> dict[Side, frozenset[str]]:
        return {
            "scenario": frozenset(e.id for e in self.scenarios_.entries),
            "capability": frozenset(e.id for e in self.capabilities_.entries),
        }

    def sides(self, side: Side) -> tuple[_Index, _Index]:
        """(the query side's index, the other side's index) for queries of ``side``."""
        if side == "scenario":
            return self.scenarios_, self.capabilities_
        return self.capabilities_, self.scenarios_

    # ----- persistence ---------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the fitted state (vocabularies, IDF, latent axes, entries) to ``path``."""
        # Fields read as they are: dataclasses.asdict would deep-copy every token list first
        # (most of a re-match's saving time), and json.dumps copies nothing.
        fields = [f.name for f in dataclasses.fields(Entry)]
        entries = {
            side: [{name: getattr(e, name) for name in fields} for e in index.entries]
            for side, index in (
                ("scenarios", self.scenarios_),
                ("capabilities", self.capabilities_),
            )
        }
        arrays = {
            "config": np.array(json.dumps(dataclasses.asdict(self.config))),
            "read_at": np.array(self.read_at),
            "entries": np.array(json.dumps(entries, ensure_ascii=False)),
            "components": self.components_,
            **self.vectorizer_.state(),
            **self.pair_vectorizer_.state(),
        }
        # Plain arrays and JSON only (no pickle): loading a file can then never run code.
        # It still has to come from our own storage: a crafted file could exhaust memory.
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Matcher:
        """Read a matcher written by :meth:`save`; no refitting."""
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as stored:
            state = {name: stored[name] for name in stored.files}
        self = cls(MatcherConfig(**json.loads(str(state["config"]))))
        self.vectorizer_ = _Vectorizer.from_state(self.config, state)
        self.pair_vectorizer_ = _PairVectorizer.from_state(state)
        self.components_ = state["components"]
        self.read_at = str(state.get("read_at", ""))
        entries = json.loads(str(state["entries"]))
        self._set_index(
            self._vectorized([_entry_from_dict(d) for d in entries["scenarios"]]),
            self._vectorized([_entry_from_dict(d) for d in entries["capabilities"]]),
        )
        return self


class Shard(NamedTuple):
    """Entries outside the fitted index, weighed with its vocabulary (``Matcher.shard``)."""

    index: _Index
    transposed: tuple[sp.csr_matrix, sp.csr_matrix]  # its searchable rows, as searched


class _Pairs(NamedTuple):
    """Scored pairs: query row, other-side row and the weighted parts of each pair's score."""

    query: np.ndarray
    other: np.ndarray
    parts: dict[str, np.ndarray]
    # Once the feedback is added: the queries' feedback centroids in the LSA space, and each
    # pair's row among them (rows of their own, so shifting the pairs leaves them be).
    anchors: np.ndarray | None = None
    anchor: np.ndarray | None = None
    own: np.ndarray | None = None  # with them: each pair's own weight in its query's centroid

    @property
    def total(self) -> np.ndarray:
        """The score of each pair: the sum of its parts."""
        return sum(self.parts.values(), np.zeros(len(self.query)))

    def take(self, positions: np.ndarray) -> _Pairs:
        """The pairs at ``positions``, in that order."""
        anchors = anchor = own = None
        if self.anchors is not None and self.own is not None:
            # Only the centroids still referred to go along (a block's, not the whole side's).
            used, anchor = np.unique(self.anchor[positions], return_inverse=True)
            anchors, own = self.anchors[used], self.own[positions]
        return _Pairs(
            self.query[positions],
            self.other[positions],
            {name: values[positions] for name, values in self.parts.items()},
            anchors,
            anchor,
            own,
        )

    def shifted(self, queries: int = 0, others: int = 0) -> _Pairs:
        """The same pairs with their rows counted from a block's or shard's first row."""
        return self._replace(query=self.query + queries, other=self.other + others)

    @staticmethod
    def concat(pieces: Sequence[_Pairs]) -> _Pairs:
        """One list of the pairs of ``pieces``, in that order."""
        if not pieces:
            return _Pairs(np.empty(0, np.int64), np.empty(0, np.int64), {})
        anchors = anchor = own = None
        if all(p.anchors is not None and p.own is not None for p in pieces):
            firsts = np.cumsum([0, *(len(p.anchors) for p in pieces)])
            anchors = np.concatenate([p.anchors for p in pieces])
            anchor = np.concatenate([p.anchor + at for p, at in zip(pieces, firsts, strict=False)])
            own = np.concatenate([p.own for p in pieces])
        return _Pairs(
            np.concatenate([p.query for p in pieces]),
            np.concatenate([p.other for p in pieces]),
            {name: np.concatenate([p.parts[name] for p in pieces]) for name in pieces[0].parts},
            anchors,
            anchor,
            own,
        )


def _oriented(
    side: Side, query: _Index, q_rows: np.ndarray, other: _Index, o_rows: np.ndarray
) -> tuple[_Index, np.ndarray, _Index, np.ndarray]:
    """Put a (query, other) pair list in (scenario, capability) order."""
    return (query, q_rows, other, o_rows) if side == "scenario" else (other, o_rows, query, q_rows)


def _columns_of(matrix: sp.csr_matrix, mask: np.ndarray) -> sp.csr_matrix:
    """``matrix`` with only the columns ``mask`` selects left non-zero."""
    kept = sp.csr_matrix(matrix.multiply(mask))
    kept.eliminate_zeros()
    return kept


def _columns(matrix: sp.csr_matrix, row: int) -> np.ndarray:
    return matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]


def _structured_reasons(
    s: _Index, s_rows: np.ndarray, c: _Index, c_rows: np.ndarray
) -> list[list[tuple[str, str]]]:
    """Field, district, qualification and budget reasons of each pair, as (code, value)."""
    reasons: list[list[tuple[str, str]]] = [[] for _ in range(len(s_rows))]
    scenario_at, capability_at = s_rows.tolist(), c_rows.tolist()  # Python ints index faster

    def add(where: np.ndarray, found: Callable[[int, int, int], tuple[str, str]]) -> None:
        # Only the pairs a reason applies to are visited, in the order reasons are listed.
        for n in np.flatnonzero(where).tolist():
            reasons[n].append(found(n, scenario_at[n], capability_at[n]))

    agreement = _agreement(s, s_rows, c, c_rows)
    add(agreement == 2, lambda n, i, j: ("same_field", s.entries[i].field or ""))
    add(agreement == 1, lambda n, i, j: ("related_field", c.entries[j].field or ""))
    district = s.districts[s_rows]
    add(
        (district == c.districts[c_rows]) & (district != ""),
        lambda n, i, j: ("same_district", s.entries[i].district or ""),
    )
    for n in np.flatnonzero(s.requires[s_rows]).tolist():
        required = s.qualifications[scenario_at[n]]
        held = required & c.qualifications[capability_at[n]]
        reasons[n] += [("qualification", q) for q in sorted(held)]
        reasons[n] += [("missing_qualification", q) for q in sorted(required - held)]
    s_budget, c_budget = s.budgets[s_rows], c.budgets[c_rows]
    with np.errstate(invalid="ignore"):
        fits = s_budget >= c_budget  # False when either is unknown (NaN)
    # Every digit: the app writes the amounts as its pages do (12,345.67).
    add(fits, lambda n, i, j: ("budget_fit", f"{float(c_budget[n])}≤{float(s_budget[n])}"))
    return reasons


def _entry_from_dict(data: dict) -> Entry:
    data = {**data, "qualifications": tuple(data["qualifications"])}
    return Entry(**data)
