"""Learning the blend's weights from decisions about pairs: logistic regression over the parts.

A decision is a (scenario, capability) pair with a label, yes or no: on the platform an
official's approval or rejection, a buyer's acceptance or refusal of a firm's interest, or
a docking that was signed or closed; in an evaluation, a labelled list's grades. The matcher
computes every content part's similarity for the decided pairs as a re-match would
(``Matcher.features``), scikit-learn's logistic regression weighs them, and new weights
replace the current ones only when they rank held-out decisions better (``trial``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupShuffleSplit

from .matcher import CONTENT_PARTS, Matcher

# Where the first fit starts, before any weights are known: every lexical and semantic part
# alike. The feedback similarity depends on the blend (it follows the best first matches), so
# fitting is repeated from the weights it found (``fit_matcher``).
STARTING_BLEND = {"lexical": 1.0, "latent": 1.0, "bm25": 1.0, "coverage": 1.0, "feedback": 1.0}
MIN_DECISIONS = 20  # fewer held-out or training decisions than this say nothing


class Decisions(NamedTuple):
    """Decided pairs: scenario and capability ids, 1 for yes and 0 for no, and how much each
    decision counts (a signed contract more than an approval)."""

    scenarios: list[str]
    capabilities: list[str]
    labels: np.ndarray
    weights: np.ndarray

    def take(self, rows: np.ndarray) -> Decisions:
        """The decisions at ``rows``."""
        return Decisions(
            [self.scenarios[i] for i in rows.tolist()],
            [self.capabilities[i] for i in rows.tolist()],
            self.labels[rows],
            self.weights[rows],
        )


class Trial(NamedTuple):
    """New weights fitted on some decisions, and both blends' ranking of the others."""

    weights: dict[str, float]
    current_auc: float  # ROC AUC of the current blend on the held-out decisions
    new_auc: float
    trained_on: int
    tested_on: int

    @property
    def better(self) -> bool:
        """Whether the new weights rank the held-out decisions better than the current ones."""
        return self.new_auc > self.current_auc


class TooFewDecisions(ValueError):
    """There are not enough decisions, or not both kinds, to learn or to judge weights."""


def fit_blend(
    features: dict[str, np.ndarray],
    labels: np.ndarray,
    sample_weight: np.ndarray | None = None,
    *,
    parts: Sequence[str] = CONTENT_PARTS,
) -> dict[str, float]:
    """Weights of ``parts`` from logistic regression on labelled similarities, summing to 1.

    A part whose weight comes out negative is dropped and the rest refitted, until none is
    negative: a part of the score must never count against a pair for being similar (and a
    negative share has no readable reason). Classes are balanced, as "no" decisions or
    unlabelled candidates far outnumber the "yes" ones.
    """
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        raise TooFewDecisions("weights are learnt from both yes and no decisions")
    kept = [name for name in parts if name in features]
    while kept:
        x = np.column_stack([features[name] for name in kept])
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
        model.fit(x, labels, sample_weight=sample_weight)
        coef = model.coef_[0]
        if (coef >= 0).all():
            total = float(coef.sum()) or 1.0
            return {name: round(float(w) / total, 4) for name, w in zip(kept, coef, strict=True)}
        kept.pop(int(np.argmin(coef)))
    raise TooFewDecisions("no part of the score tells the yes decisions from the no ones")


def blended(features: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The content score of each pair under ``weights``."""
    length = len(next(iter(features.values()))) if features else 0
    return sum(
        (w * features[name] for name, w in weights.items() if w and name in features),
        np.zeros(length),
    )


def decided_features(matcher: Matcher, decisions: Decisions) -> dict[str, np.ndarray]:
    """Each decision's similarities as the fitted ``matcher`` computes them (NaN rows for a
    pair whose entries the matcher does not hold)."""
    pairs = list(zip(decisions.scenarios, decisions.capabilities, strict=True))
    s_ids, c_ids, features = matcher.features(pairs)
    where = {pair: n for n, pair in enumerate(zip(s_ids, c_ids, strict=True))}
    rows = np.array([where.get(pair, -1) for pair in pairs], np.int64)
    return {
        name: np.where(rows >= 0, values[np.maximum(rows, 0)], np.nan)
        for name, values in features.items()
    }


def trial(
    matcher: Matcher, decisions: Decisions, *, test_share: float = 0.3, seed: int = 0
) -> Trial:
    """Fit weights on some scenarios' decisions; rank the other scenarios' with both blends.

    Decisions are split by scenario, so that no held-out scenario lent its decisions to the
    fit. Raises ``TooFewDecisions`` when either side of the split is too small to say
    anything, or lacks a yes or a no.
    """
    features = decided_features(matcher, decisions)
    known = np.flatnonzero(~np.isnan(features["lexical"]))
    if len(known) < 2 * MIN_DECISIONS:
        raise TooFewDecisions(f"{len(known)} decisions on pairs the matcher holds")
    groups = np.array(decisions.scenarios, dtype=object)[known]
    split = GroupShuffleSplit(n_splits=1, test_size=test_share, random_state=seed)
    train, test = (known[rows] for rows in next(split.split(known, groups=groups)))
    labels = decisions.labels
    if min(len(train), len(test)) < MIN_DECISIONS or any(
        len(np.unique(labels[rows])) < 2 for rows in (train, test)
    ):
        raise TooFewDecisions("the held-out or the training decisions lack a yes or a no")
    weights = fit_blend(
        {name: values[train] for name, values in features.items()},
        labels[train],
        decisions.weights[train],
    )
    held_out = {name: values[test] for name, values in features.items()}

    def auc(blend: dict[str, float]) -> float:
        return float(
            roc_auc_score(
                labels[test], blended(held_out, blend), sample_weight=decisions.weights[test]
            )
        )

    return Trial(weights, auc(matcher.config.blend), auc(weights), len(train), len(test))


def fit_matcher(
    matcher: Matcher, decisions: Decisions, *, rounds: int = 3
) -> tuple[Matcher, dict[str, float]]:
    """Weights learnt from all ``decisions``, starting from the matcher's own (or from
    ``STARTING_BLEND`` if it has none), and the matcher reweighted with them.

    The feedback similarity follows the blend's best first matches, so each round's weights
    change the next round's features; a few rounds settle them.
    """
    if not any(matcher.config.blend.values()):
        matcher = matcher.reweighted(STARTING_BLEND)
    weights = matcher.config.blend
    for _ in range(rounds):
        features = decided_features(matcher, decisions)
        known = ~np.isnan(features["lexical"])
        weights = fit_blend(
            {name: values[known] for name, values in features.items()},
            decisions.labels[known],
            decisions.weights[known],
        )
        matcher = matcher.reweighted(weights)
    return matcher, weights
