"""The matcher: blended lexical, concept, latent, fuzzy and structured signals, ranked both ways."""

from __future__ import annotations

import dataclasses
import gc
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import chain, repeat
from pathlib import Path
from typing import Literal, NamedTuple, Self

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
from .explain import Explainer, Tracer, add_part_reasons, is_telling, matched_tags
from .reasons import PART_OF, VISIBLE
from .sparse import best_per_row, heaviest, ones_at
from .text import data_lines, normalize

Side = Literal["scenario", "capability"]
FIELDS = ("title", "body", "tags")
DEFAULT_CAP = 20  # recommendations per capability in one batch; see docs/matcher.md
_NO_FEATURE = "\x00"
CONCEPT_MARK = "≈"  # starts the name of a concept feature; segmentation never yields it
_CHUNK = 2000  # query rows scored at a time: bounds the memory of the gathered pair rows
_SHORT_POSTINGS = 500  # a feature in fewer entries than this is cheap to search, however common


@dataclass(frozen=True)
class MatcherConfig:
    """Weights and limits of the matcher; defaults chosen on seed/eval (docs/matcher.md)."""

    # How many times a word of each text field counts in the term frequency (a title word
    # counting as two tag words). Whole numbers, so the vectoriser counts them in one pass.
    title_weight: int = 2
    body_weight: int = 2
    tags_weight: int = 1
    # Blend: each part is a similarity (in [0, 1] but for the feedback, which is weighted by
    # first-stage scores) times its weight; the score is their sum.
    lexical: float = 1.0  # cosine of the TF-IDF rows, split into the words' and concepts' share
    concept: float = 0.3  # weight of a concept feature beside a word's inside the TF-IDF row
    latent: float = 0.3  # cosine in the LSA space
    feedback: float = 2.0  # score-weighted LSA similarity to the query's best first matches
    fuzzy_title: float = 0.1
    fuzzy_tags: float = 0.02
    same_field: float = 0.2
    related_field: float = 0.1
    same_district: float = 0.02
    qualification: float = 0.05
    budget: float = 0.02
    feedback_docs: int = 8  # best first-stage matches whose centroid expands the query
    latent_dims: int = 64
    latent_sample: int = 5000  # entries the LSA axes are learnt from, at most
    candidates: int = 30  # per query, from the sparse search; fuzzy and the rest score only these
    search_terms: int = 32  # heaviest features per row that the candidate search reads
    search_max_share: float = 0.05  # features in more entries than this the search skips
    min_score: float = 0.3
    explain_terms: int = 5
    n_threads: int = 1  # for the top-k product, rapidfuzz and the SVD; 0: every core

    def __post_init__(self) -> None:
        if min(self.title_weight, self.body_weight, self.tags_weight) < 1:
            raise ValueError("field weights must be whole numbers of at least 1")


class _Vectorizer:
    """Field-weighted TF-IDF over an entry's words and the concept groups they name.

    Entries come already cut into words, so there is no text processing here: words are
    counted per field, each field's counts weighted, and scikit-learn's TfidfTransformer
    weights the sum. Concept groups are features beside the words ("≈ocr" for OCR, 文字识别
    and 光学字符识别 alike), so a concept counts like one more shared word, weighted by its
    IDF: a narrow concept links two entries strongly, a field-wide one weakly.
    """

    def __init__(self, weights: Sequence[int], concept_weight: float):
        self.weights = tuple(weights)
        self.concept_weight = concept_weight

    def fit_transform(self, docs: Sequence[dict[str, list[str]]]) -> sp.csr_matrix:
        """Learn the vocabulary (features of two documents or more) and the IDF; vectorise."""
        # The sentinel feature, which no entry has, keeps the vocabulary from being empty
        # when no word is shared (scikit-learn refuses a matrix without columns).
        columns = {_NO_FEATURE: 0}
        counts = self._count(docs, columns, learn=True)
        names = np.array(list(columns), dtype=object)
        if self.concept_weight:
            # Concepts from the word counts (one look-up per distinct word, not per token).
            mapping, groups = concept_matrix(names)
            counts = sp.hstack([counts, counts @ mapping], format="csr")
            names = np.concatenate([names, CONCEPT_MARK + groups])
        # A feature seen in one document cannot link two entries; dropping it keeps the
        # vocabulary and the matrices small at scale.
        seen = np.bincount(counts.indices, minlength=counts.shape[1])
        seen[columns[_NO_FEATURE]] = 2  # the sentinel stays
        keep = np.flatnonzero(seen >= 2)
        self._set_vocabulary(names[keep])
        counts = counts[:, keep]
        self.tfidf_ = TfidfTransformer(norm=None, sublinear_tf=True).fit(counts)
        return self._finish(counts)

    def transform(self, docs: Sequence[dict[str, list[str]]]) -> sp.csr_matrix:
        """L2-normalised rows over the fitted vocabulary; unknown features are ignored."""
        if self.concept_weight:
            # The same counts fit_transform takes from its word counts, looked up per token.
            docs = [
                {
                    field: d[field] + [CONCEPT_MARK + g for g in concept_features(d[field])]
                    for field in FIELDS
                }
                for d in docs
            ]
        return self._finish(self._count(docs, self.columns_, learn=False))

    def _count(
        self, docs: Sequence[dict[str, list[str]]], columns: dict[str, int], *, learn: bool
    ) -> sp.csr_matrix:
        """Term counts with each field's words counted ``weights`` times; ``columns`` grows
        with new words when ``learn``, else words it lacks are skipped.

        Counted here rather than by CountVectorizer, which cannot weight fields without
        repeating every token list and which re-sorts its vocabulary: that was a third of a
        full re-match.
        """
        rows, cols, data = [], [], []
        for field, weight in zip(FIELDS, self.weights, strict=True):
            tokens = [d[field] for d in docs]
            flat = list(chain.from_iterable(tokens))
            if learn:
                for token in dict.fromkeys(flat):  # new words in order of appearance
                    columns.setdefault(token, len(columns))
            ids = np.array(list(map(columns.get, flat, repeat(-1))), dtype=np.int64)
            rows.append(np.repeat(np.arange(len(docs)), [len(ts) for ts in tokens]))
            cols.append(ids)
            data.append(np.full(len(ids), weight, dtype=np.float64))
        row, col, value = np.concatenate(rows), np.concatenate(cols), np.concatenate(data)
        known = col >= 0
        # Repeated (row, column) pairs are summed: the counts.
        return sp.csr_matrix(
            (value[known], (row[known], col[known])), shape=(len(docs), len(columns))
        )

    def _set_vocabulary(self, names: np.ndarray) -> None:
        self.vocabulary = names
        self.columns_ = {str(name): n for n, name in enumerate(names.tolist())}

    def _finish(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        scaled = self.tfidf_.transform(counts) @ sp.diags(self.scale)
        return l2_normalize(scaled).astype(np.float32).tocsr()

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
    def names(self) -> np.ndarray:
        """Column names as shown: words as they are, concept groups without their mark."""
        return np.array([n.removeprefix(CONCEPT_MARK) for n in self.vocabulary.tolist()], object)

    @cached_property
    def scale(self) -> np.ndarray:
        """Column multipliers: the concept weight on concept columns, 1 on words."""
        return np.where(self.is_concept, self.concept_weight, 1.0)

    def state(self) -> dict[str, np.ndarray]:
        """The fitted state as plain arrays."""
        return {"vocabulary": self.vocabulary.astype(str), "idf": self.tfidf_.idf_}

    @classmethod
    def from_state(cls, weights: Sequence[int], concept_weight: float, state: dict) -> _Vectorizer:
        """Rebuild a fitted instance from ``state``."""
        self = cls(weights, concept_weight)
        self._set_vocabulary(state["vocabulary"].astype(object))
        self.tfidf_ = TfidfTransformer(norm=None, sublinear_tf=True)
        self.tfidf_.idf_ = state["idf"]
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
    latent: np.ndarray
    titles: np.ndarray
    tag_text: np.ndarray
    fields: list[frozenset[str]]  # the distinct field sets of this side
    field_codes: np.ndarray  # each entry's position in ``fields``
    districts: np.ndarray
    budgets: np.ndarray
    qualifications: list[frozenset[str]]
    requires: np.ndarray  # whether each entry names any qualification
    searchable: sp.csr_matrix | None = None  # what the candidate search reads of ``vectors``

    def __len__(self) -> int:
        return len(self.entries)

    def take(self, rows: slice) -> _Index:
        """The entries at ``rows``, as an index of their own (a block or shard of this side)."""
        return dataclasses.replace(
            self,
            entries=self.entries[rows],
            vectors=self.vectors[rows],
            forms=self.forms[rows],
            latent=self.latent[rows],
            titles=self.titles[rows],
            tag_text=self.tag_text[rows],
            field_codes=self.field_codes[rows],
            districts=self.districts[rows],
            budgets=self.budgets[rows],
            qualifications=self.qualifications[rows],
            requires=self.requires[rows],
            searchable=None if self.searchable is None else self.searchable[rows],
        )


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


class Matcher:
    """Recommends capabilities for scenarios and scenarios for capabilities."""

    def __init__(self, config: MatcherConfig | None = None):
        self.config = config or MatcherConfig()

    # ----- fitting -------------------------------------------------------------------------

    @_no_cyclic_gc()
    def fit(self, scenarios: Sequence[Entry], capabilities: Sequence[Entry]) -> Self:
        """Learn the vocabulary, IDF and the latent space from both lists, and index them."""
        cfg = self.config
        weights = (cfg.title_weight, cfg.body_weight, cfg.tags_weight)
        self.vectorizer_ = _Vectorizer(weights, cfg.concept)
        vectors = self.vectorizer_.fit_transform([e.words for e in (*scenarios, *capabilities)])
        sample = min(vectors.shape[0], cfg.latent_sample)
        dims = min(cfg.latent_dims, sample - 1, vectors.shape[1] - 1)
        if (cfg.latent or cfg.feedback) and dims > 0:
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
        split = len(scenarios)
        self._set_index(
            self._index(scenarios, vectors[:split]), self._index(capabilities, vectors[split:])
        )
        return self

    def _set_index(self, scenarios: _Index, capabilities: _Index) -> None:
        self.scenarios_ = scenarios
        self.capabilities_ = capabilities
        # Smoothed IDF is ln((1 + n) / (1 + df)) + 1, which gives back each feature's df.
        n = len(scenarios) + len(capabilities)
        df = (1 + n) * np.exp(1.0 - self.vectorizer_.tfidf_.idf_) - 1
        common = (df > self.config.search_max_share * n) & (df > _SHORT_POSTINGS)
        self._rare_ = sp.diags((~common).astype(np.float32))
        for index in (scenarios, capabilities):
            index.searchable = self._searchable(index.vectors)
        # Each side as the other's queries search it, transposed once here, not per query.
        self._transposed_ = {
            "scenario": capabilities.searchable.T.tocsr(),
            "capability": scenarios.searchable.T.tocsr(),
        }

    def _searchable(self, vectors: sp.csr_matrix) -> sp.csr_matrix:
        """What the candidate search reads of ``vectors``: the rarer features, heaviest first.

        A feature in more than ``search_max_share`` of all entries (and more than a few
        hundred) is left out, and of the rest each row keeps its ``search_terms`` heaviest:
        common words have long posting lists that would make the product all-pairs while
        barely moving a cosine. Candidates are then scored on every feature.
        """
        rare = sp.csr_matrix(vectors @ self._rare_)
        rare.eliminate_zeros()
        return heaviest(rare, self.config.search_terms)

    def _vectorized(self, entries: Sequence[Entry]) -> _Index:
        return self._index(entries, self.vectorizer_.transform([e.words for e in entries]))

    def _index(self, entries: Sequence[Entry], vectors: sp.csr_matrix) -> _Index:
        docs = [e.words for e in entries]
        latent = np.asarray(vectors @ self.components_.T, dtype=np.float32)
        if latent.size:  # scikit-learn refuses an empty array, even one with no rows
            latent = l2_normalize(latent)
        entry_fields = [_fields(e.field) for e in entries]
        field_sets = list(dict.fromkeys(entry_fields))
        code = {fields: n for n, fields in enumerate(field_sets)}
        quals = [frozenset(map(_label, e.qualifications)) for e in entries]
        return _Index(
            entries=list(entries),
            vectors=vectors,
            forms=_columns_of(vectors, self.vectorizer_.is_form),
            latent=latent,
            titles=np.array([" ".join(d["title"]) for d in docs], dtype=object),
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

    def _parts(
        self, s: _Index, s_rows: np.ndarray, c: _Index, c_rows: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The weighted parts of the score of each (scenario, capability) pair."""
        cfg = self.config
        parts: dict[str, np.ndarray] = {}
        # The cosine, split into what shared words and what shared concepts contribute.
        products = s.vectors[s_rows].multiply(c.vectors[c_rows]).tocsr()
        cosine = np.asarray(products.sum(axis=1), dtype=np.float64).ravel()
        concept = products @ self.vectorizer_.is_concept.astype(np.float64)
        parts["lexical"] = cfg.lexical * (cosine - concept)
        if cfg.concept:
            parts["concept"] = cfg.lexical * concept
        if cfg.latent and s.latent.shape[1]:
            cosine = np.einsum("ij,ij->i", s.latent[s_rows], c.latent[c_rows])
            parts["latent"] = cfg.latent * np.clip(cosine, 0, None).astype(np.float64)
        if cfg.fuzzy_title:
            ratio = process.cpdist(
                s.titles[s_rows], c.titles[c_rows], scorer=fuzz.ratio, workers=cfg.n_threads or -1
            )
            parts["fuzzy_title"] = cfg.fuzzy_title * ratio / 100
        if cfg.fuzzy_tags:
            ratio = process.cpdist(
                s.tag_text[s_rows],
                c.tag_text[c_rows],
                scorer=fuzz.ratio,
                workers=cfg.n_threads or -1,
            )
            parts["fuzzy_tags"] = cfg.fuzzy_tags * ratio / 100
        if cfg.same_field or cfg.related_field:
            agreement = _agreement(s, s_rows, c, c_rows)
            parts["field"] = np.where(agreement == 2, cfg.same_field, 0.0) + np.where(
                agreement == 1, cfg.related_field, 0.0
            )
        if cfg.same_district:
            district = s.districts[s_rows]
            parts["district"] = cfg.same_district * (
                (district == c.districts[c_rows]) & (district != "")
            )
        if cfg.qualification:
            # Only the few scenarios that require something need looking at.
            held = np.zeros(len(s_rows))
            for n in np.flatnonzero(s.requires[s_rows]).tolist():
                required = s.qualifications[s_rows[n]]
                held[n] = len(required & c.qualifications[c_rows[n]]) / len(required)
            parts["qualification"] = cfg.qualification * held
        if cfg.budget:
            # A capability's budget is the smallest project it takes on: it fits when the
            # scenario's budget reaches it. Unknown on either side says nothing.
            with np.errstate(invalid="ignore"):
                fits = s.budgets[s_rows] >= c.budgets[c_rows]
            parts["budget"] = cfg.budget * fits
        return parts

    def candidates(
        self, side: Side, block: _Index, other: _Index, transposed: sp.csr_matrix
    ) -> tuple[_Pairs, np.ndarray]:
        """Each ``block`` row's best candidates in ``other``, scored on every part but feedback.

        ``transposed`` is ``other.searchable.T``. Candidates are found on the searchable
        features only (see ``_searchable``) and scored in full; the search product that chose
        each pair comes back beside the pairs, so that candidates found in several shards of
        the other side can be narrowed to the same best ones (``narrowed``).
        """
        found = sp_matmul_topn(
            block.searchable,
            transposed,
            top_n=self.config.candidates,
            n_threads=self.config.n_threads or None,
        )
        rows = np.repeat(np.arange(found.shape[0]), np.diff(found.indptr))
        others = found.indices.astype(np.int64)
        parts = self._parts(*_oriented(side, block, rows, other, others))
        return _Pairs(rows, others, parts), found.data

    def narrowed(self, pairs: _Pairs, search: np.ndarray) -> _Pairs:
        """The pairs whose search products are each query's ``candidates`` largest."""
        return pairs.take(rank.top_k(pairs.query, search, pairs.other, self.config.candidates))

    def finished(self, pairs: _Pairs, queries: int, other_latent: np.ndarray) -> _Pairs:
        """Add the feedback part and keep the pairs scoring at least ``min_score``.

        ``queries`` is how many query rows ``pairs.query`` counts from 0, and
        ``other_latent`` the whole other side's latent rows (``pairs.other`` indexes it).
        """
        cfg = self.config
        if cfg.feedback:
            pairs = self._with_feedback(queries, other_latent, pairs)
        return pairs.take(np.flatnonzero(pairs.total >= cfg.min_score))

    def _scored(
        self, query: _Index, side: Side, progress: Callable[[int], None] | None = None
    ) -> _Pairs:
        """Each query's best ``candidates`` pairs scoring at least ``min_score``, with parts."""
        other = self.sides(side)[1]
        if query.searchable is None:  # an entry from outside the index
            query.searchable = self._searchable(query.vectors)
        kept = []
        for start in range(0, len(query), _CHUNK):
            block = query.take(slice(start, min(start + _CHUNK, len(query))))
            pairs, _ = self.candidates(side, block, other, self._transposed_[side])
            kept.append(self.finished(pairs, len(block), other.latent).shifted(start))
            if progress:
                progress(len(block))
        return _Pairs.concat(kept)

    def _with_feedback(self, queries: int, other_latent: np.ndarray, pairs: _Pairs) -> _Pairs:
        """Pseudo-relevance feedback: what a query's best first matches have in common.

        The query's ``feedback_docs`` best first-stage matches speak the other side's own
        vocabulary (a buyer's 免召回 next to the firms' OTA). Their mean in the LSA space,
        each weighted by its first-stage score, is the query's feedback, and a candidate's
        closeness to it is the "feedback" part. A query whose best matches are weak gets
        little from it.
        """
        cfg = self.config
        best = rank.top_k(pairs.query, pairs.total, pairs.other, cfg.feedback_docs)
        weights = sp.csr_matrix(
            (pairs.total[best] / cfg.feedback_docs, (pairs.query[best], pairs.other[best])),
            shape=(queries, len(other_latent)),
            dtype=np.float32,
        )
        # Closeness in the latent space: as good on the seed as the TF-IDF closeness, at a
        # fraction of the cost (dense 64-wide rows instead of wide sparse centroids).
        latent = weights @ other_latent
        closeness = np.einsum("ij,ij->i", latent[pairs.query], other_latent[pairs.other])
        return pairs._replace(
            parts={**pairs.parts, "feedback": cfg.feedback * closeness.astype(np.float64)},
            anchors=latent,  # kept to explain the part: what each query's feedback was
            anchor=pairs.query,
        )

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

    @_no_cyclic_gc()
    def recommend_for(self, entry: Entry, *, side: Side, k: int = 10) -> list[Recommendation]:
        """Top-k for one entry (a scenario if ``side`` is "scenario") against the fitted index."""
        query = self._vectorized([entry])
        other = self.sides(side)[1]
        pairs = self._scored(query, side)
        chosen = rank.top_k(pairs.query, pairs.total, pairs.other, k)
        return self.explain(side, query, other, pairs.take(chosen))

    # ----- explanations --------------------------------------------------------------------

    def explain(
        self, side: Side, query: _Index, other: _Index, pairs: _Pairs
    ) -> list[Recommendation]:
        """The recommendations, each with its explanation, of ``pairs`` of the two indexes."""
        cfg = self.config
        s, s_rows, c, c_rows = _oriented(side, query, pairs.query, other, pairs.other)
        shared = s.vectors[s_rows].multiply(c.vectors[c_rows]).tocsr()
        is_concept = self.vectorizer_.is_concept
        names = self.vectorizer_.names
        # A shared word's share of the score: its product in the cosine, times the weight;
        # only words that tell a reader something are listed.
        word_share = sp.diags(cfg.lexical * self.vectorizer_.telling)
        terms = best_per_row(shared @ word_share, cfg.explain_terms, names)
        # Concept reasons are for groups the two sides name differently: a group both name
        # with one same word is left out here (that word is among the shared terms).
        shared_concepts = shared @ sp.diags(is_concept * 1.0)
        named_alike = (shared @ self.vectorizer_.form_groups) > 0
        concepts = best_per_row(
            shared_concepts - shared_concepts.multiply(named_alike), cfg.explain_terms, names
        )
        reasons = _structured_reasons(s, s_rows, c, c_rows)
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
        add_part_reasons(
            reasons,
            side,
            pairs.parts,
            dataclasses.asdict(cfg),
            terms,
            {
                "concept": self._alike_words(shared, pairs, reasons),
                **self._traced_words(query, other, pairs),
            },
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
        if "feedback" in pairs.parts and pairs.anchors is not None:
            directions["feedback"] = lambda at: pairs.anchors[pairs.anchor[at]]
        if not directions:
            return {}
        shown = {part: pairs.parts[part] >= VISIBLE for part in directions}
        at = np.flatnonzero(np.logical_or.reduce(list(shown.values())))
        tracer = Tracer(self.components_, self.vectorizer_.telling, self.vectorizer_.names)
        # The candidates' searchable rows first: their heaviest rarer words, what an
        # explanation would name anyway, at a third of the full rows' length.
        words = tracer.words(
            other.searchable, pairs.other[at], {part: find(at) for part, find in directions.items()}
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
                values[missing] = tracer.words(other.vectors, pairs.other[retry], everything, None)[
                    part
                ]
            found[part] = (at_part, values)
        return found

    def without_index(self) -> Matcher:
        """The fitted vocabulary, IDF and latent axes without the indexed entries: what
        workers need beside their own blocks and shards (see ``distributed``)."""
        fitted = Matcher(self.config)
        fitted.vectorizer_, fitted.components_ = self.vectorizer_, self.components_
        return fitted

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
            "entries": np.array(json.dumps(entries, ensure_ascii=False)),
            "components": self.components_,
            **self.vectorizer_.state(),
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
        cfg = self.config
        weights = (cfg.title_weight, cfg.body_weight, cfg.tags_weight)
        self.vectorizer_ = _Vectorizer.from_state(weights, cfg.concept, state)
        self.components_ = state["components"]
        entries = json.loads(str(state["entries"]))
        self._set_index(
            self._vectorized([_entry_from_dict(d) for d in entries["scenarios"]]),
            self._vectorized([_entry_from_dict(d) for d in entries["capabilities"]]),
        )
        return self


class _Pairs(NamedTuple):
    """Scored pairs: query row, other-side row and the weighted parts of each pair's score."""

    query: np.ndarray
    other: np.ndarray
    parts: dict[str, np.ndarray]
    # Once the feedback part is added: the queries' feedback centroids in the LSA space, and
    # each pair's row among them (rows of their own, so shifting the pairs leaves them be).
    anchors: np.ndarray | None = None
    anchor: np.ndarray | None = None

    @property
    def total(self) -> np.ndarray:
        """The score of each pair: the sum of its parts."""
        return sum(self.parts.values(), np.zeros(len(self.query)))

    def take(self, positions: np.ndarray) -> _Pairs:
        """The pairs at ``positions``, in that order."""
        anchors = anchor = None
        if self.anchors is not None:
            # Only the centroids still referred to go along (a block's, not the whole side's).
            used, anchor = np.unique(self.anchor[positions], return_inverse=True)
            anchors = self.anchors[used]
        return _Pairs(
            self.query[positions],
            self.other[positions],
            {name: values[positions] for name, values in self.parts.items()},
            anchors,
            anchor,
        )

    def shifted(self, queries: int = 0, others: int = 0) -> _Pairs:
        """The same pairs with their rows counted from a block's or shard's first row."""
        return self._replace(query=self.query + queries, other=self.other + others)

    @staticmethod
    def concat(pieces: Sequence[_Pairs]) -> _Pairs:
        """One list of the pairs of ``pieces``, in that order."""
        if not pieces:
            return _Pairs(np.empty(0, np.int64), np.empty(0, np.int64), {})
        anchors = anchor = None
        if all(p.anchors is not None for p in pieces):
            firsts = np.cumsum([0, *(len(p.anchors) for p in pieces)])
            anchors = np.concatenate([p.anchors for p in pieces])
            anchor = np.concatenate([p.anchor + at for p, at in zip(pieces, firsts, strict=False)])
        return _Pairs(
            np.concatenate([p.query for p in pieces]),
            np.concatenate([p.other for p in pieces]),
            {name: np.concatenate([p.parts[name] for p in pieces]) for name in pieces[0].parts},
            anchors,
            anchor,
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

    def add(where: np.ndarray, found: Callable[[int, int, int], tuple[str, str]]) -> None:
        # Only the pairs a reason applies to are visited, in the order reasons are listed.
        for n in np.flatnonzero(where).tolist():
            reasons[n].append(found(n, s_rows[n], c_rows[n]))

    agreement = _agreement(s, s_rows, c, c_rows)
    add(agreement == 2, lambda n, i, j: ("same_field", s.entries[i].field or ""))
    add(agreement == 1, lambda n, i, j: ("related_field", c.entries[j].field or ""))
    district = s.districts[s_rows]
    add(
        (district == c.districts[c_rows]) & (district != ""),
        lambda n, i, j: ("same_district", s.entries[i].district or ""),
    )
    for n in np.flatnonzero(s.requires[s_rows]).tolist():
        required = s.qualifications[s_rows[n]]
        held = required & c.qualifications[c_rows[n]]
        reasons[n] += [("qualification", q) for q in sorted(held)]
        reasons[n] += [("missing_qualification", q) for q in sorted(required - held)]
    s_budget, c_budget = s.budgets[s_rows], c.budgets[c_rows]
    with np.errstate(invalid="ignore"):
        fits = s_budget >= c_budget  # False when either is unknown (NaN)
    add(fits, lambda n, i, j: ("budget_fit", f"{c_budget[n]:g}≤{s_budget[n]:g}"))
    return reasons


def _entry_from_dict(data: dict) -> Entry:
    data = {**data, "qualifications": tuple(data["qualifications"])}
    return Entry(**data)
