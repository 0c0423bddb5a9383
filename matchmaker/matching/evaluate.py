"""Offline evaluation on a labelled directory: the matcher against BM25 baselines.

The baseline to beat is BM25 on normalised text (NFKC, Traditional to Simplified, lower
case, jieba): the matcher's own normalisation with jieba's default dictionary. BM25 on the
raw text is kept beside it as a second row. Differences come with a bootstrap interval over
the scenarios, so that a difference the list cannot tell from noise is seen as such.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

import bm25s
import jieba
import numpy as np

from . import learn
from .entries import Entry
from .matcher import DEFAULT_CAP, Matcher, MatcherConfig
from .text import normalize

Run = dict[str, list[tuple[str, float]]]  # scenario id -> [(capability id, score)], best first
Qrels = dict[str, dict[str, int]]  # scenario id -> {capability id: grade}
_WORDLIKE = re.compile(r"\w")


@dataclass(frozen=True)
class Dataset:
    """A labelled directory: both lists, the graded judgements and which pairs were judged.

    ``judged_groups`` and ``judged_pairs`` come from an optional ``judged.json``: pairs of
    entries whose id prefix (before the first "-") is in one group were all judged, and so
    were the listed pairs; other pairs count as 0 but were never looked at. Without the file
    every pair was judged.
    """

    scenarios: list[Entry]
    capabilities: list[Entry]
    qrels: Qrels
    judged_groups: tuple[frozenset[str], ...] | None = None
    judged_pairs: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def judged(self, scenario: str, capability: str) -> bool:
        """Whether the pair's grade is known (a grade 0 included)."""
        if self.judged_groups is None or (scenario, capability) in self.judged_pairs:
            return True
        a, b = scenario.split("-")[0], capability.split("-")[0]
        return any(a in group and b in group for group in self.judged_groups)


class Metrics(NamedTuple):
    """Ranking quality averaged over the scenarios that have at least one judgement."""

    ndcg: float
    recall: float
    mrr: float
    queries: int


class Interval(NamedTuple):
    """A mean difference over scenarios and its 95% bootstrap interval."""

    mean: float
    low: float
    high: float


def _read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _entry(row: dict) -> Entry:
    return Entry(
        id=str(row["id"]),
        title=row.get("title") or "",
        description=row.get("description") or "",
        tags=list(row.get("tags") or []),
        field=row.get("field"),
        district=row.get("district"),
        budget_wan=row.get("budget_wan"),
        qualifications=tuple(row.get("qualifications") or ()),
        org=row.get("org"),
        tokens=row.get("tokens"),
    )


def load_dataset(directory: str | Path) -> Dataset:
    """Read ``scenarios.jsonl``, ``capabilities.jsonl``, ``qrels.tsv`` and, if there is one,
    ``judged.json`` from ``directory``."""
    directory = Path(directory)
    qrels: Qrels = {}
    with (directory / "qrels.tsv").open(encoding="utf-8") as f:
        next(f)  # header: scenario_id, capability_id, grade
        for line in f:
            if line.strip():
                scenario, capability, grade = line.rstrip("\n").split("\t")
                qrels.setdefault(scenario, {})[capability] = int(grade)
    judged = directory / "judged.json"
    spec = json.loads(judged.read_text(encoding="utf-8")) if judged.exists() else None
    return Dataset(
        scenarios=[_entry(r) for r in _read_jsonl(directory / "scenarios.jsonl")],
        capabilities=[_entry(r) for r in _read_jsonl(directory / "capabilities.jsonl")],
        qrels=qrels,
        judged_groups=None if spec is None else tuple(frozenset(g) for g in spec["groups"]),
        judged_pairs=frozenset() if spec is None else frozenset(map(tuple, spec["pairs"])),
    )


def per_query(run: Run, qrels: Qrels, k: int = 10) -> dict[str, Metrics]:
    """nDCG@k (gain 2^grade - 1), recall@k and MRR@k of each scenario with a relevant pair."""
    figures = {}
    for query, grades in qrels.items():
        if not any(g > 0 for g in grades.values()):
            continue
        ranked = [doc for doc, _ in run.get(query, [])[:k]]
        gains = [2 ** grades.get(doc, 0) - 1 for doc in ranked]
        ideal = sorted((2**g - 1 for g in grades.values()), reverse=True)[:k]
        relevant = [doc for doc in ranked if grades.get(doc, 0) > 0]
        figures[query] = Metrics(
            _dcg(gains) / _dcg(ideal),
            len(relevant) / sum(1 for g in grades.values() if g > 0),
            next((1 / (r + 1) for r, doc in enumerate(ranked) if grades.get(doc, 0) > 0), 0.0),
            1,
        )
    return figures


def score_run(run: Run, qrels: Qrels, k: int = 10, queries: Sequence[str] | None = None) -> Metrics:
    """nDCG@k, recall@k and MRR@k averaged over the judged scenarios (or over ``queries``)."""
    figures = per_query(run, qrels, k)
    chosen = [figures[q] for q in (figures if queries is None else queries) if q in figures]
    n = max(len(chosen), 1)
    return Metrics(
        sum(m.ndcg for m in chosen) / n,
        sum(m.recall for m in chosen) / n,
        sum(m.mrr for m in chosen) / n,
        len(chosen),
    )


def _dcg(gains: list[float]) -> float:
    return sum(g / math.log2(r + 2) for r, g in enumerate(gains))


def difference(
    ours: Run, theirs: Run, qrels: Qrels, *, resamples: int = 2000, seed: int = 0
) -> Interval:
    """Mean nDCG@10 of ``ours`` minus ``theirs`` over the scenarios, with a 95% interval from
    resampling the scenarios (percentile bootstrap)."""
    a, b = per_query(ours, qrels), per_query(theirs, qrels)
    gaps = np.array([a[q].ndcg - b[q].ndcg for q in a])
    if not len(gaps):
        return Interval(0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = gaps[rng.integers(0, len(gaps), size=(resamples, len(gaps)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(gaps.mean()), float(low), float(high))


def by_field(dataset: Dataset, runs: dict[str, Run]) -> dict[str, dict[str, Metrics]]:
    """Each system's figures over the scenarios of each field (the scenario's own field)."""
    fields: dict[str, list[str]] = {}
    for scenario in dataset.scenarios:
        fields.setdefault(scenario.field or "", []).append(scenario.id)
    return {
        name or "-": {
            system: score_run(run, dataset.qrels, queries=ids) for system, run in runs.items()
        }
        for name, ids in sorted(fields.items(), key=lambda item: -len(item[1]))
    }


def matcher_run(
    dataset: Dataset,
    config: MatcherConfig | None = None,
    *,
    k: int = 10,
    cap: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """Fit the matcher on both lists and rank capabilities for every scenario."""
    return run_of(
        Matcher(config).fit(dataset.scenarios, dataset.capabilities),
        dataset,
        k=k,
        cap=cap,
        progress=progress,
    )


def run_of(
    matcher: Matcher,
    dataset: Dataset,
    *,
    k: int = 10,
    cap: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """The fitted ``matcher``'s ranking of capabilities for every scenario of ``dataset``."""
    run: Run = {s.id: [] for s in dataset.scenarios}
    for rec in matcher.rematch(k=k, cap=cap, progress=progress):
        run[rec.scenario_id].append((rec.capability_id, rec.score))
    return run


@cache
def _plain_tokenizer() -> jieba.Tokenizer:
    return jieba.Tokenizer()


def _jieba_words(text: str) -> list[str]:
    return [t.lower() for t in _plain_tokenizer().lcut(text) if _WORDLIKE.search(t)]


def plain_tokens(entry: Entry) -> list[str]:
    """The raw-text baseline's tokens: jieba's default dictionary on the text as written."""
    return _jieba_words(" ".join([entry.title, entry.description, *entry.tags]))


def normalised_tokens(entry: Entry) -> list[str]:
    """The baseline's tokens: jieba's default dictionary on the matcher's normalised text
    (NFKC, Traditional to Simplified, lower case)."""
    return _jieba_words(normalize(" ".join([entry.title, entry.description, *entry.tags])))


def product_tokens(entry: Entry) -> list[str]:
    """The matcher's own tokens of all fields (its dictionary, stop words dropped)."""
    return [t for field in ("title", "body", "tags") for t in entry.words[field]]


def bm25_run(
    dataset: Dataset, tokens: Callable[[Entry], list[str]] = normalised_tokens, *, k: int = 10
) -> Run:
    """Rank capabilities for every scenario with Okapi BM25 (bm25s, default k1 and b)."""
    corpus = [tokens(c) for c in dataset.capabilities]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    vocabulary = {t for doc in corpus for t in doc}
    run: Run = {}
    for scenario in dataset.scenarios:
        # bm25s rejects queries made only of unknown words, so those get an empty list.
        query = [t for t in tokens(scenario) if t in vocabulary]
        if not query:
            run[scenario.id] = []
            continue
        docs, scores = retriever.retrieve([query], k=min(k, len(corpus)), show_progress=False)
        run[scenario.id] = [
            (dataset.capabilities[d].id, float(s))
            for d, s in zip(docs[0], scores[0], strict=True)
            if s > 0
        ]
    return run


def write_run(run: Run, path: str | Path, k: int = 10) -> None:
    """Write the top ``k`` per scenario as ``scenario_id<TAB>capability_id<TAB>score`` lines."""
    with open(path, "w", encoding="utf-8") as f:
        for scenario, ranked in run.items():
            for capability, score in ranked[:k]:
                f.write(f"{scenario}\t{capability}\t{score:.6f}\n")


# Each part switched off in turn (the others keep their weights).
ABLATIONS: dict[str, dict[str, float]] = {
    "without concepts": {"concept_scale": 0.0, "concept": 0.0},
    "without TF-IDF cosine": {"lexical": 0.0},
    "without latent (LSA)": {"latent": 0.0},
    "without BM25": {"bm25": 0.0},
    "without coverage": {"coverage": 0.0},
    "without feedback": {"feedback": 0.0},
    "without fuzzy": {"fuzzy_title": 0.0, "fuzzy_tags": 0.0},
    "without structured": {
        "same_field": 0.0,
        "related_field": 0.0,
        "same_district": 0.0,
        "qualification": 0.0,
        "budget": 0.0,
    },
}
MATCHER = "matcher"
BM25N = "BM25, normalised text"
BM25_RAW = "BM25, raw text"


class Evaluation(NamedTuple):
    """Each system's figures and its ranking, in one run; the matcher's cap and threshold."""

    figures: dict[str, Metrics]
    runs: dict[str, Run]
    cap: int | None
    min_score: float


def evaluate(
    dataset: Dataset,
    config: MatcherConfig | None = None,
    *,
    cap: int | None = DEFAULT_CAP,
    ablation: bool = False,
    caps: Sequence[int] = (),
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Figures of the matcher (as the app runs it: ``cap`` and the configured threshold) and
    of both BM25 baselines in one run; optionally other caps, and ablated."""
    config = config or MatcherConfig()
    runs = {
        MATCHER: matcher_run(dataset, config, cap=cap, progress=progress),
        BM25N: bm25_run(dataset),
        BM25_RAW: bm25_run(dataset, plain_tokens),
    }
    for other in caps:
        runs[f"matcher, cap {other}"] = matcher_run(dataset, config, cap=other)
    if ablation:
        runs["matcher, no cap, no threshold"] = matcher_run(
            dataset, dataclasses.replace(config, min_score=0.0)
        )
        for name, change in ABLATIONS.items():
            runs[name] = matcher_run(dataset, dataclasses.replace(config, **change), cap=cap)
        runs["BM25 on matcher tokens"] = bm25_run(dataset, product_tokens)
    figures = {name: score_run(run, dataset.qrels) for name, run in runs.items()}
    return Evaluation(figures, runs, cap, config.min_score)


# ----- weights learnt from labels ------------------------------------------------------------


def labelled(
    matcher: Matcher, dataset: Dataset, pairs: Sequence[tuple[str, str]]
) -> learn.Decisions:
    """The judged ones of ``pairs`` as decisions: yes for grade 1 or 2, no for grade 0."""
    judged = [(s, c) for s, c in pairs if dataset.judged(s, c)]
    labels = np.array([dataset.qrels.get(s, {}).get(c, 0) > 0 for s, c in judged], np.int64)
    return learn.Decisions(
        [s for s, _ in judged], [c for _, c in judged], labels, np.ones(len(judged))
    )


def candidate_decisions(matcher: Matcher, dataset: Dataset) -> learn.Decisions:
    """Every judged candidate of every scenario with a relevant pair, labelled: the labelled
    list as decisions on everything the matcher considers."""
    s_ids, c_ids, _ = matcher.features()
    relevant = {q for q, grades in dataset.qrels.items() if any(g > 0 for g in grades.values())}
    return labelled(
        matcher, dataset, [(s, c) for s, c in zip(s_ids, c_ids, strict=True) if s in relevant]
    )


def fitted_weights(dataset: Dataset, config: MatcherConfig | None = None) -> dict[str, float]:
    """Blend weights learnt from all of ``dataset``'s labels (``learn.fit_matcher``)."""
    matcher = Matcher(config).fit(dataset.scenarios, dataset.capabilities)
    return learn.fit_matcher(matcher, candidate_decisions(matcher, dataset))[1]


def recommended_decisions(
    matcher: Matcher, dataset: Dataset, scenarios: set[str]
) -> learn.Decisions:
    """What officials would decide on ``scenarios``' recommendations (the top 10 the matcher
    shows them), simulated by the labels: approve a relevant pair, reject the others."""
    shown = [
        (r.scenario_id, r.capability_id)
        for r in matcher.rematch(k=10, cap=None)
        if r.scenario_id in scenarios
    ]
    return labelled(matcher, dataset, shown)


def simulated_learning(
    dataset: Dataset, config: MatcherConfig | None = None, *, seed: int = 0
) -> dict[str, Metrics]:
    """Learning from simulated decisions, measured on scenarios whose decisions it never saw.

    The scenarios are split in two halves; officials' decisions on one half's
    recommendations (simulated by the labels) teach new weights, and both halves are ranked in
    turn by the weights learnt from the other. Beside it, the same scenarios ranked by the
    current weights.
    """
    matcher = Matcher(config).fit(dataset.scenarios, dataset.capabilities)
    ids = np.array([s.id for s in dataset.scenarios], dtype=object)
    halves = np.array_split(np.random.default_rng(seed).permutation(ids), 2)
    learnt: Run = {}
    for teach, test in (halves, halves[::-1]):
        decisions = recommended_decisions(matcher, dataset, set(teach.tolist()))
        taught, _ = learn.fit_matcher(matcher, decisions)
        run = run_of(taught, dataset)
        learnt.update({q: run[q] for q in test.tolist()})
    return {
        "current weights": score_run(run_of(matcher, dataset), dataset.qrels),
        "weights learnt from the other half's decisions": score_run(learnt, dataset.qrels),
    }


def transferred(
    dataset: Dataset, teacher: Dataset, config: MatcherConfig | None = None
) -> dict[str, Metrics]:
    """``dataset`` ranked with weights learnt on another list, ``teacher``: from all its
    labels, and from simulated decisions on its recommendations; beside the current weights."""
    config = config or MatcherConfig()
    matcher = Matcher(config).fit(dataset.scenarios, dataset.capabilities)
    other = Matcher(config).fit(teacher.scenarios, teacher.capabilities)
    from_labels = learn.fit_matcher(other, candidate_decisions(other, teacher))[1]
    shown = recommended_decisions(other, teacher, {s.id for s in teacher.scenarios})
    from_decisions = learn.fit_matcher(other, shown)[1]
    return {
        "current weights": score_run(run_of(matcher, dataset), dataset.qrels),
        "weights from the other list's labels": score_run(
            run_of(matcher.reweighted(from_labels), dataset), dataset.qrels
        ),
        "weights from the other list's decisions": score_run(
            run_of(matcher.reweighted(from_decisions), dataset), dataset.qrels
        ),
    }
