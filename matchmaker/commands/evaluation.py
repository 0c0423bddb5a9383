"""The matcher's commands: ``eval`` (matcher vs BM25 on labels) and ``rank`` (write a run)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from matchmaker.matching.evaluate import Dataset, Metrics

_DIR = click.argument("directory", type=click.Path(exists=True, file_okay=False))


def _quiet_jieba() -> None:
    # jieba logs dictionary loading at DEBUG on stderr; on a terminal that is noise.
    logging.getLogger("jieba").setLevel(logging.WARNING)


@contextmanager
def _progress(dataset: Dataset, label: str) -> Iterator[Callable[[int], None]]:
    with click.progressbar(length=len(dataset.scenarios), label=label, file=sys.stderr) as bar:
        yield bar.update


def _load(directory: str) -> Dataset:
    from matchmaker.matching import evaluate  # the matcher and BM25: only when a command runs

    _quiet_jieba()
    click.echo(f"Reading and segmenting {directory} …", err=True)
    return evaluate.load_dataset(directory)


@click.command("eval")
@_DIR
@click.option("--ablation", is_flag=True, help="Also measure the matcher without each part.")
@click.option(
    "--cap", "caps", type=int, multiple=True, help="Also measure with this per-capability cap."
)
@click.option(
    "--fit",
    "fit_here",
    is_flag=True,
    help="Also learn the blend's weights from this list's labels and print them.",
)
@click.option(
    "--fit-on",
    "teacher",
    type=click.Path(exists=True, file_okay=False),
    help="Also rank this list with weights learnt on another labelled list.",
)
@click.option(
    "--simulate",
    is_flag=True,
    help="Also learn from simulated decisions on half the scenarios, tested on the other half.",
)
def eval_command(
    directory: str,
    ablation: bool,
    caps: tuple[int, ...],
    fit_here: bool,
    teacher: str | None,
    simulate: bool,
) -> None:
    """Measure the matcher against BM25 on normalised and on raw text, on a labelled list."""
    from matchmaker.matching import evaluate

    dataset = _load(directory)
    with _progress(dataset, "Matching") as progress:
        result = evaluate.evaluate(dataset, ablation=ablation, caps=caps, progress=progress)
    figures = result.figures
    click.echo(_table(figures))
    gap = evaluate.difference(
        result.runs[evaluate.MATCHER], result.runs[evaluate.BM25N], dataset.qrels
    )
    cap = "none" if result.cap is None else result.cap
    click.echo(
        f"\nnDCG@10 matcher − BM25 (normalised text): {gap.mean:+.4f}, "
        f"95% interval {gap.low:+.4f} to {gap.high:+.4f} (bootstrap over scenarios)"
    )
    click.echo(
        f"matcher as the app runs it: cap {cap} per capability, threshold {result.min_score}"
    )
    click.echo("\n" + _field_table(evaluate.by_field(dataset, result.runs)))
    summary: dict = {name: _as_dict(m) for name, m in figures.items()}
    summary["difference"] = {name: round(value, 4) for name, value in gap._asdict().items()}
    summary["cap"], summary["threshold"] = result.cap, result.min_score
    if fit_here:
        weights = evaluate.fitted_weights(dataset)
        click.echo(f"\nweights learnt from this list's labels: {weights}")
        summary["fitted_weights"] = weights
    extra: dict[str, Metrics] = {}
    if teacher:
        extra |= evaluate.transferred(dataset, _load(teacher))
    if simulate:
        extra |= {f"{k} (simulated)": v for k, v in evaluate.simulated_learning(dataset).items()}
    if extra:
        click.echo("\n" + _table(extra))
        summary |= {name: _as_dict(m) for name, m in extra.items()}
    click.echo(json.dumps(summary, ensure_ascii=False))


@click.command("rank")
@_DIR
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--k", type=int, default=10, show_default=True, help="Capabilities per scenario.")
@click.option("--cap", type=int, default=None, help="Per-capability cap across the batch.")
def rank_command(directory: str, out: str, k: int, cap: int | None) -> None:
    """Write the matcher's top-k capabilities per scenario as a TSV run file."""
    from matchmaker.matching import evaluate

    dataset = _load(directory)
    with _progress(dataset, "Matching") as progress:
        run = evaluate.matcher_run(dataset, k=k, cap=cap, progress=progress)
    evaluate.write_run(run, out, k=k)
    click.echo(f"Wrote {sum(len(r) for r in run.values())} rows for {len(run)} scenarios to {out}")


def _as_dict(metrics: Metrics) -> dict[str, float | int]:
    return {
        "ndcg@10": round(metrics.ndcg, 4),
        "recall@10": round(metrics.recall, 4),
        "mrr@10": round(metrics.mrr, 4),
        "queries": metrics.queries,
    }


def _field_table(fields: dict[str, dict[str, Metrics]]) -> str:
    """nDCG@10 of the matcher and of BM25 on normalised text over each field's scenarios."""
    from matchmaker.matching import evaluate

    width = max([len(name) for name in fields] + [5])
    lines = [f"{'field':<{width}}  scenarios  matcher  BM25n"]
    lines += [
        f"{name:<{width}}  {systems[evaluate.MATCHER].queries:9d}  "
        f"{systems[evaluate.MATCHER].ndcg:7.4f}  {systems[evaluate.BM25N].ndcg:5.4f}"
        for name, systems in fields.items()
    ]
    return "\n".join(lines)


def _table(figures: dict[str, Metrics]) -> str:
    width = max(len(name) for name in figures)
    lines = [f"{'system':<{width}}  nDCG@10  recall@10  MRR@10  queries"]
    lines += [
        f"{name:<{width}}  {m.ndcg:7.4f}  {m.recall:9.4f}  {m.mrr:6.4f}  {m.queries:7d}"
        for name, m in figures.items()
    ]
    return "\n".join(lines)


def register(cli_group: click.Group) -> None:
    """Add the matcher's commands to the app's command group."""
    cli_group.add_command(eval_command)
    cli_group.add_command(rank_command)


@click.group()
def cli() -> None:
    """The matcher's commands, runnable without the web app."""


register(cli)

if __name__ == "__main__":
    cli()
