"""Offline evaluation: a labelled directory in, nDCG/recall/MRR for the matcher and BM25 out."""

import dataclasses
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from matchmaker.commands.evaluation import cli, register
from matchmaker.matching import DEFAULT_CAP, Entry, MatcherConfig, evaluate

SEED_EVAL = Path(__file__).resolve().parents[2] / "seed" / "eval"
# The independent list: the repository's copy of ../shared/eval/dev-c (see seed/README.md),
# so that a clean clone measures it too.
DEV_C = Path(__file__).resolve().parents[2] / "seed" / "dev-c"


@pytest.fixture
def labelled_dir(tmp_path, scenarios, capabilities) -> Path:
    """The hand-written lists as a labelled directory, judged by hand."""

    def row(entry, *keys):
        return json.dumps({k: getattr(entry, k) for k in keys}, ensure_ascii=False)

    common = ("id", "title", "description", "tags", "field", "district", "org")
    (tmp_path / "scenarios.jsonl").write_text(
        "\n".join(row(s, *common, "budget_wan") for s in scenarios), encoding="utf-8"
    )
    (tmp_path / "capabilities.jsonl").write_text(
        "\n".join(row(c, *common) for c in capabilities), encoding="utf-8"
    )
    judgements = [
        ("s-ocr", "c-ocr", 2),
        ("s-ocr", "c-bigdata", 1),
        ("s-parking", "c-parking", 2),
        ("s-parking", "c-traffic", 1),
        ("s-pump", "c-phm", 2),
        ("s-v2x", "c-v2x", 2),
        ("s-security", "c-security", 2),
    ]
    (tmp_path / "qrels.tsv").write_text(
        "scenario_id\tcapability_id\tgrade\n"
        + "".join(f"{s}\t{c}\t{g}\n" for s, c, g in judgements)
    )
    return tmp_path


def test_a_labelled_directory_loads_with_its_judgements(labelled_dir):
    data = evaluate.load_dataset(labelled_dir)
    assert len(data.scenarios) == 6 and len(data.capabilities) == 8
    assert data.qrels["s-ocr"] == {"c-ocr": 2, "c-bigdata": 1}
    assert data.scenarios[0].budget_wan == 80


def test_the_metrics_follow_their_textbook_definitions():
    qrels = {"q": {"a": 2, "b": 1}, "unjudged-in-run": {"c": 1}}
    run = {"q": [("b", 0.9), ("x", 0.8), ("a", 0.7)]}
    ideal = 3 + 1 / math.log2(3)
    metrics = evaluate.score_run(run, qrels)
    # "q": DCG = 1/log2(2) + 3/log2(4); the second scenario has no run, so it scores zero.
    assert metrics.ndcg == pytest.approx((1 + 1.5) / ideal / 2)
    assert metrics.recall == pytest.approx(0.5)
    assert metrics.mrr == pytest.approx(0.5)
    assert metrics.queries == 2


def test_the_matcher_and_both_bm25_baselines_are_measured_in_one_run(labelled_dir):
    result = evaluate.evaluate(evaluate.load_dataset(labelled_dir), caps=[1])
    assert {evaluate.MATCHER, evaluate.BM25N, evaluate.BM25_RAW, "matcher, cap 1"} <= (
        result.figures.keys()
    )
    assert result.figures["matcher"].queries == 5
    assert result.figures["matcher"].mrr == pytest.approx(1.0)
    assert (result.cap, result.min_score) == (DEFAULT_CAP, MatcherConfig().min_score)


def test_the_baseline_reads_normalised_text_so_a_traditional_copy_finds_the_same_firms():
    simplified = Entry("s", "政务服务证照识别", "身份证营业执照文字识别", ["证照识别"], None, None)
    traditional = Entry("t", "政務服務證照識別", "身分證營業執照文字識別", ["證照識別"], None, None)
    assert evaluate.normalised_tokens(traditional) == evaluate.normalised_tokens(simplified)
    assert evaluate.plain_tokens(traditional) != evaluate.plain_tokens(simplified)


def test_a_difference_comes_with_a_bootstrap_interval_around_it():
    qrels = {f"q{n}": {"a": 1} for n in range(20)}
    ours = {f"q{n}": [("a", 1.0)] for n in range(20)}
    # The baseline finds the pair first for half of the scenarios and not at all for the rest.
    theirs = {f"q{n}": [("a", 1.0)] if n % 2 else [("b", 1.0)] for n in range(20)}
    gap = evaluate.difference(ours, theirs, qrels)
    assert gap.mean == pytest.approx(0.5)
    assert 0 < gap.low < gap.mean < gap.high <= 1
    same = evaluate.difference(ours, ours, qrels)
    assert same == (0.0, 0.0, 0.0)


def test_figures_per_field_cover_each_fields_scenarios(labelled_dir):
    data = evaluate.load_dataset(labelled_dir)
    result = evaluate.evaluate(data)
    fields = evaluate.by_field(data, result.runs)
    assert fields["智慧交通"]["matcher"].queries == 1  # parking (V2X is filed elsewhere)
    assert sum(systems["matcher"].queries for systems in fields.values()) == 5


def test_pairs_outside_the_judged_groups_are_unjudged_unless_listed(labelled_dir):
    (labelled_dir / "judged.json").write_text(
        json.dumps({"groups": [["s", "c"]], "pairs": [["X-1", "Y-2"]]}), encoding="utf-8"
    )
    data = evaluate.load_dataset(labelled_dir)
    assert data.judged("s-ocr", "c-bigdata")
    assert data.judged("X-1", "Y-2")
    assert not data.judged("X-1", "c-ocr")


def test_a_run_file_has_one_line_per_recommendation(labelled_dir, tmp_path):
    run = evaluate.matcher_run(evaluate.load_dataset(labelled_dir))
    out = tmp_path / "run.tsv"
    evaluate.write_run(run, out)
    lines = [line.split("\t") for line in out.read_text().splitlines()]
    assert ["s-ocr", "c-ocr"] in [line[:2] for line in lines]
    assert all(len(line) == 3 and float(line[2]) > 0 for line in lines)


def test_the_eval_command_prints_a_table_and_ends_with_json(labelled_dir):
    result = CliRunner().invoke(cli, ["eval", str(labelled_dir)])
    assert result.exit_code == 0, result.output
    assert "nDCG@10" in result.output
    assert "matcher − BM25 (normalised text)" in result.output
    assert f"cap {DEFAULT_CAP} per capability, threshold {MatcherConfig().min_score}" in (
        result.output
    )
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert {"matcher", evaluate.BM25N, evaluate.BM25_RAW, "difference", "cap"} <= summary.keys()


def test_weights_are_learnt_from_labels_from_another_list_and_from_simulated_decisions(
    labelled_dir, tmp_path
):
    # A second labelled list: the same entries, judged the same way.
    other = tmp_path / "other"
    other.mkdir()
    for name in ("scenarios.jsonl", "capabilities.jsonl", "qrels.tsv"):
        (other / name).write_bytes((labelled_dir / name).read_bytes())
    result = CliRunner().invoke(
        cli, ["eval", str(labelled_dir), "--fit", "--fit-on", str(other), "--simulate"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    weights = summary["fitted_weights"]
    assert weights and sum(weights.values()) == pytest.approx(1.0, abs=1e-3)
    assert all(w >= 0 for w in weights.values())
    assert {
        "current weights",
        "weights from the other list's labels",
        "weights from the other list's decisions",
        "weights learnt from the other half's decisions (simulated)",
    } <= summary.keys()


def test_the_rank_command_writes_a_run_file(labelled_dir, tmp_path):
    out = tmp_path / "run.tsv"
    result = CliRunner().invoke(cli, ["rank", str(labelled_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("s-")


def test_register_adds_both_commands_to_the_apps_group():
    import click

    group = click.Group()
    register(group)
    assert {"eval", "rank"} <= group.commands.keys()


def test_the_ablation_variants_only_switch_signals_off():
    for change in evaluate.ABLATIONS.values():
        assert all(value == 0 for value in change.values())
        assert change.keys() <= {f.name for f in dataclasses.fields(evaluate.MatcherConfig)}


@pytest.mark.slow
@pytest.mark.skipif(not (SEED_EVAL / "qrels.tsv").exists(), reason="seed/eval not generated")
@pytest.mark.parametrize("directory", [SEED_EVAL, DEV_C], ids=["seed", "dev-c"])
def test_the_matcher_beats_bm25_on_normalised_text_on_both_lists(directory):
    if not (directory / "qrels.tsv").exists():
        pytest.skip(f"{directory} is not here")
    data = evaluate.load_dataset(directory)
    result = evaluate.evaluate(data)
    ours, theirs = result.figures[evaluate.MATCHER], result.figures[evaluate.BM25N]
    assert ours.ndcg > theirs.ndcg and ours.recall >= theirs.recall
    gap = evaluate.difference(
        result.runs[evaluate.MATCHER], result.runs[evaluate.BM25N], data.qrels
    )
    assert gap.low > 0  # the list can tell the difference from noise
