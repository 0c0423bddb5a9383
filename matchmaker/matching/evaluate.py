"""Offline evaluation on a labelled directory: the matcher against a BM25 baseline."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import bm25s
import jieba

from .entries import Entry
from .matcher import Matcher, MatcherConfig

Run = dict[str, list[tuple[str, float]]]  # scenario id -> [(capability id, score)], best first
Qrels = dict[str, dict[str, int]]  # scenario id -> {capability id: grade}
_WORDLIKE = re.compile(r"\w")


@dataclass(frozen=True)
class Dataset:
    """A labelled directory: both lists and the graded relevance judgements."""

    scenarios: list[Entry]
    capabilities: list[Entry]
    qrels: Qrels


class Metrics(NamedTuple):
    """Ranking quality averaged over the scenarios that have at least one judgement."""

    ndcg: float
    recall: float
    mrr: float
    queries: int


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
    """Read ``scenarios.jsonl``, ``capabilities.jsonl`` and ``qrels.tsv`` from ``directory``."""
    directory = Path(directory)
    qrels: Qrels = {}
    with (directory / "qrels.tsv").open(encoding="utf-8") as f:
        next(f)  # header: scenario_id, capability_id, grade
        for line in f:
            if line.strip():
                scenario, capability, grade = line.rstrip("\n").split("\t")
                qrels.setdefault(scenario, {})[capability] = int(grade)
    return Dataset(
        scenarios=[_entry(r) for r in _read_jsonl(directory / "scenarios.jsonl")],
        capabilities=[_entry(r) for r in _read_jsonl(directory / "capabilities.jsonl")],
        qrels=qrels,
    )


def score_run(run: Run, qrels: Qrels, k: int = 10) -> Metrics:
    """nDCG@k (gain 2^grade - 1), recall@k and MRR@k over the judged scenarios."""
    ndcg = recall = mrr = 0.0
    judged = [q for q, grades in qrels.items() if any(g > 0 for g in grades.values())]
    for query in judged:
        grades = qrels[query]
        ranked = [doc for doc, _ in run.get(query, [])[:k]]
        gains = [2 ** grades.get(doc, 0) - 1 for doc in ranked]
        ideal = sorted((2**g - 1 for g in grades.values()), reverse=True)[:k]
        ndcg += _dcg(gains) / _dcg(ideal)
        relevant = [doc for doc in ranked if grades.get(doc, 0) > 0]
        recall += len(relevant) / sum(1 for g in grades.values() if g > 0)
        mrr += next((1 / (r + 1) for r, doc in enumerate(ranked) if grades.get(doc, 0) > 0), 0.0)
    n = max(len(judged), 1)
    return Metrics(ndcg / n, recall / n, mrr / n, len(judged))


def _dcg(gains: list[float]) -> float:
    return sum(g / math.log2(r + 2) for r, g in enumerate(gains))


def matcher_run(
    dataset: Dataset,
    config: MatcherConfig | None = None,
    *,
    k: int = 10,
    cap: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """Fit the matcher on both lists and rank capabilities for every scenario."""
    matcher = Matcher(config).fit(dataset.scenarios, dataset.capabilities)
    run: Run = {s.id: [] for s in dataset.scenarios}
    for rec in matcher.rematch(k=k, cap=cap, progress=progress):
        run[rec.scenario_id].append((rec.capability_id, rec.score))
    return run


@cache
def _plain_tokenizer() -> jieba.Tokenizer:
    return jieba.Tokenizer()


def plain_tokens(entry: Entry) -> list[str]:
    """The baseline's tokens: jieba's default dictionary on the raw text, lower-cased."""
    text = " ".join([entry.title, entry.description, *entry.tags])
    return [t.lower() for t in _plain_tokenizer().lcut(text) if _WORDLIKE.search(t)]


def product_tokens(entry: Entry) -> list[str]:
    """The matcher's own normalised tokens of all fields, for the BM25 ablation."""
    return [t for field in ("title", "body", "tags") for t in entry.words[field]]


def bm25_run(
    dataset: Dataset, tokens: Callable[[Entry], list[str]] = plain_tokens, *, k: int = 10
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


# Each signal switched off in turn, then all of them (the plain TF-IDF cosine).
_SIGNALS: dict[str, dict[str, float]] = {
    "concepts": {"concept": 0.0},
    "latent (LSA)": {"latent": 0.0},
    "feedback": {"feedback": 0.0},
    "fuzzy": {"fuzzy_title": 0.0, "fuzzy_tags": 0.0},
    "structured": {
        "same_field": 0.0,
        "related_field": 0.0,
        "same_district": 0.0,
        "qualification": 0.0,
        "budget": 0.0,
    },
}
ABLATIONS: dict[str, dict[str, float]] = {
    **{f"without {name}": change for name, change in _SIGNALS.items()},
    "TF-IDF only": {k: v for change in _SIGNALS.values() for k, v in change.items()},
}


def evaluate(
    dataset: Dataset,
    config: MatcherConfig | None = None,
    *,
    ablation: bool = False,
    caps: Sequence[int] = (),
    progress: Callable[[int], None] | None = None,
) -> dict[str, Metrics]:
    """Figures of the matcher and of BM25 in one run; optionally capped, and ablated."""
    config = config or MatcherConfig()
    figures = {
        "matcher": score_run(matcher_run(dataset, config, progress=progress), dataset.qrels),
        "bm25": score_run(bm25_run(dataset), dataset.qrels),
    }
    for cap in caps:
        run = matcher_run(dataset, config, cap=cap)
        figures[f"matcher, cap {cap}"] = score_run(run, dataset.qrels)
    if ablation:
        # Without the threshold: switching a signal off lowers every score, and the
        # threshold (chosen for the full blend) would then cut ranks, not measure them.
        unthresholded = dataclasses.replace(config, min_score=0.0)
        figures["matcher, no threshold"] = score_run(
            matcher_run(dataset, unthresholded), dataset.qrels
        )
        for name, change in ABLATIONS.items():
            variant = dataclasses.replace(unthresholded, **change)
            figures[name] = score_run(matcher_run(dataset, variant), dataset.qrels)
        figures["BM25 on matcher tokens"] = score_run(
            bm25_run(dataset, product_tokens), dataset.qrels
        )
    return figures
