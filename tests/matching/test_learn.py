"""Learning the blend from decisions: officials approve and reject, the matcher reweighs."""

import numpy as np
import pytest

from matchmaker.matching import Matcher, MatcherConfig, learn
from matchmaker.matching.matcher import CONTENT_PARTS
from matchmaker.matching.synthetic import synthetic


def test_weights_are_never_negative_and_sum_to_one():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    features = {
        "coverage": labels * 0.5 + rng.random(400) * 0.5,  # tells yes from no
        "latent": rng.random(400),  # noise
        # Says the opposite of the decisions: it must not count against a similar pair.
        "bm25": (1 - labels) * 0.5 + rng.random(400) * 0.5,
    }
    weights = learn.fit_blend(features, labels)
    assert "bm25" not in weights
    assert all(w >= 0 for w in weights.values())
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-3)
    assert weights["coverage"] > weights.get("latent", 0.0)


def test_weights_need_both_yes_and_no_decisions():
    with pytest.raises(learn.TooFewDecisions):
        learn.fit_blend({"coverage": np.ones(30)}, np.ones(30, dtype=int))


@pytest.fixture(scope="module")
def fitted() -> Matcher:
    """A matcher on synthetic lists, whose capability rows were written for field topics."""
    return Matcher(MatcherConfig()).fit(*synthetic(300, 900))


def decisions_by(fitted: Matcher, judge, n: int = 600) -> learn.Decisions:
    """Officials' decisions on the matcher's recommendations, made by ``judge``."""
    shown = fitted.rematch(k=10, cap=None)[:n]
    labels = np.array([judge(r) for r in shown], dtype=np.int64)
    return learn.Decisions(
        [r.scenario_id for r in shown],
        [r.capability_id for r in shown],
        labels,
        np.ones(len(shown)),
    )


def test_every_part_of_a_decided_pair_is_computed_as_a_rematch_does(fitted):
    decisions = decisions_by(fitted, lambda r: 1)
    features = learn.decided_features(fitted, decisions)
    assert set(CONTENT_PARTS) <= features.keys()
    assert not np.isnan(features["coverage"]).any()
    # The blend of the computed similarities is the score the re-match gave.
    recs = fitted.rematch(k=10, cap=None)[:600]
    content = learn.blended(features, fitted.config.blend)
    structured = [sum(r.parts.get(p, 0.0) for p in ("qualification", "budget")) for r in recs]
    assert content + np.array(structured) == pytest.approx([r.score for r in recs], abs=1e-6)


def test_a_pair_the_matcher_never_saw_has_no_features(fitted):
    decisions = learn.Decisions(["nobody"], ["c0"], np.array([1]), np.ones(1))
    assert np.isnan(learn.decided_features(fitted, decisions)["coverage"]).all()


def test_new_weights_are_judged_on_scenarios_they_never_saw(fitted):
    # The officials approve what covers the scenario's wording well, whatever else it does.
    features = learn.decided_features(fitted, decisions_by(fitted, lambda r: 1))
    median = float(np.median(features["coverage"]))
    decisions = decisions_by(fitted, lambda r: 0)
    decisions = decisions._replace(labels=(features["coverage"] > median).astype(np.int64))
    trial = learn.trial(fitted, decisions)
    assert trial.trained_on + trial.tested_on == len(decisions.labels)
    tested = set(decisions.scenarios[i] for i in range(len(decisions.labels)))
    assert len(tested) > 1
    assert trial.new_auc > 0.9 and trial.better
    assert trial.weights["coverage"] == max(trial.weights.values())


def test_too_few_decisions_teach_nothing(fitted):
    with pytest.raises(learn.TooFewDecisions):
        learn.trial(fitted, decisions_by(fitted, lambda r: int(r.score > 0.2), n=10))


def test_a_reweighted_matcher_shares_the_fitted_index_and_says_which_weights_it_uses(fitted):
    reweighted = fitted.reweighted({"coverage": 1.0}, weight_set=7)
    assert reweighted.config.blend == {name: float(name == "coverage") for name in CONTENT_PARTS}
    assert reweighted.config.weight_set == 7
    assert reweighted.scenarios_ is fitted.scenarios_
    assert fitted.config == MatcherConfig()  # the original keeps its weights
    recs = reweighted.rematch(k=3, cap=None)
    assert recs and all(set(r.parts) <= {"coverage", "qualification", "budget"} for r in recs)
