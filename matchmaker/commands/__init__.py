"""The `matchmaker` command: init-db, seed, serve, match, learn, remind, recount, alerts,
evidence-reminders, backup, eval and rank.

Only click and Flask's CLI are imported with this module: the database, the domain and the
matcher are imported by the command that uses them, and listing the commands (`--help`)
builds no app, so that it answers at once (tests/test_startup.py).
"""

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from matchmaker.commands import alerts, backup, evaluation

if TYPE_CHECKING:
    from matchmaker.matching import Matcher, Recommendation, Side
    from matchmaker.pairing.recommend import Engine

SEED_DIR = Path(__file__).resolve().parents[2] / "seed" / "data"


def _create_app() -> Flask:
    from matchmaker import create_app

    return create_app()


class _Commands(FlaskGroup):
    """Flask's command group, listing its own commands without building the app.

    Every command is registered on the group itself (and on the app's `cli`, for
    `app.test_cli_runner()`), so the app is built only when a command runs.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The group's commands, in order of name."""
        return sorted(self.commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The group's command called ``name``. Flask's own lookup would first load every
        installed package's plugin commands (flask-limiter's imports it and rich: a fifth
        of `--help`) and then build the app to ask it; neither has a command of ours."""
        return click.Group.get_command(self, ctx, name)


@click.group(cls=_Commands, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """matchmaker: the scenario supply-demand matching platform (场景供需对接平台)."""


@click.command("seed")
@with_appcontext
@click.option(
    "--dir",
    "seed_dir",
    type=click.Path(exists=True, file_okay=False),
    default=str(SEED_DIR),
    show_default=True,
    help="Folder with the seed lists.",
)
def seed_command(seed_dir: str) -> None:
    """Load the seed lists (organisations, demo accounts, 458 scenarios, 1000 capabilities)."""
    from matchmaker.commands import seeding
    from matchmaker.web.dates import local_today
    from matchmaker.web.db import session_scope

    with session_scope() as session:
        counts = seeding.load(session, Path(seed_dir), today=local_today(), progress=True)
    click.echo(
        f"Seeded {counts.organisations} organisations, {counts.users} demo accounts, "
        f"{counts.scenarios} scenarios, {counts.capabilities} capabilities."
    )


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-seed", is_flag=True, help="Do not load the seed lists into an empty database.")
def serve_command(host: str, port: int, no_seed: bool) -> None:
    """Upgrade the schema, seed an empty database, and serve the app (threaded server)."""
    from sqlalchemy import func
    from sqlmodel import select
    from werkzeug.serving import run_simple

    from matchmaker.web.db import session_scope, upgrade_schema
    from models import Scenario

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    upgrade_schema(app.config["DATABASE_URL"])
    with session_scope() as session:
        empty = session.exec(select(func.count()).select_from(Scenario)).one() == 0
    if empty and not no_seed:
        context = click.get_current_context()
        context.invoke(seed_command)
        context.invoke(match_command)  # so the demo opens with recommendations to review
    click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)")
    # app.run() refuses to start inside the flask CLI; run_simple is what `flask run` uses.
    run_simple(host, port, app, threaded=True)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from matchmaker.web.db import upgrade_schema

    url = current_app.config["DATABASE_URL"]
    upgrade_schema(url)
    click.echo(f"Database schema is up to date: {current_app.extensions['engine'].url!r}")


@click.command("match")
@with_appcontext
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where the re-match is computed: this process, or a Dask cluster.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="A running Dask scheduler (tcp://host:8786); without it, a cluster on this machine.",
)
@click.option(
    "--workers", default=2, show_default=True, help="Workers of the cluster on this machine."
)
@click.option(
    "--memory-limit",
    default="6GiB",
    show_default=True,
    help="Memory of each worker of the cluster on this machine.",
)
@click.option(
    "--learn",
    "learn_first",
    is_flag=True,
    help="First learn the weights from the decisions so far (as `matchmaker learn` does).",
)
def match_command(
    engine: str, scheduler: str | None, workers: int, memory_limit: str, learn_first: bool
) -> None:
    """Re-match the whole database: refit the matcher and store every recommendation."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from matchmaker.matching.distributed import ClusterFailed
    from matchmaker.pairing.recommend import MATCHABLE, on_this_machine, rematch_all
    from matchmaker.web.db import session_scope
    from models import Capability, Scenario

    if learn_first:
        _learn_and_report()
    with ExitStack() as stack:
        compute = on_this_machine
        if engine == "dask":
            compute = stack.enter_context(dask_engine(scheduler, workers, memory_limit))
        with session_scope() as session:
            total = sum(
                session.exec(
                    select(func.count()).select_from(model).where(col(model.status).in_(MATCHABLE))
                ).one()
                for model in (Scenario, Capability)
            )
            with click.progressbar(length=total, label="Matching") as bar:
                try:
                    counts = rematch_all(session, progress=bar.update, engine=compute)
                except ClusterFailed as failure:
                    session.rollback()
                    raise click.ClickException(
                        f"The Dask cluster failed ({failure}); nothing was stored."
                    ) from failure
    click.echo(
        f"{counts.created} new, {counts.updated} rescored, {counts.removed} removed, "
        f"{counts.decided} already decided (left as they were)."
    )


@contextmanager
def dask_engine(scheduler: str | None, workers: int, memory_limit: str) -> Iterator["Engine"]:
    """An engine computing on the Dask scheduler at ``scheduler``, or on a cluster of
    ``workers`` processes on this machine, closed afterwards."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as missing:
        raise click.ClickException("Dask is not installed: pip install 'matchmaker[dask]'.") from (
            missing
        )
    from matchmaker.matching import distributed
    from matchmaker.pairing.recommend import TOP_K

    with ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout="10s"))
            except OSError as unreachable:
                raise click.ClickException(
                    f"No Dask scheduler answered at {scheduler} ({unreachable})."
                ) from unreachable
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    memory_limit=memory_limit,
                    dashboard_address=":0",  # any free port: no clash with another cluster here
                )
            )
            client = stack.enter_context(Client(cluster))

        def on_the_cluster(
            matcher: "Matcher", side: "Side", cap: int, progress: Callable[[int], None] | None
        ) -> list["Recommendation"]:
            return distributed.rematch(
                matcher, client, k=TOP_K, cap=cap, side=side, progress=progress
            )

        yield on_the_cluster


@click.command("remind")
@with_appcontext
def remind_command() -> None:
    """List pairings without progress for 30 days and remind both parties (once per 30 days)."""
    from matchmaker.docking.followup import send_reminders, stale_pairings
    from matchmaker.web.dates import local_today
    from matchmaker.web.db import session_scope

    # A request context gives url_for its site-relative links and the notifications their
    # language (the default one), as they would have in a request. Safe to run daily.
    with current_app.test_request_context(), session_scope() as session:
        stale = stale_pairings(session, today=local_today())
        sent = send_reminders(session, stale)
        reminded = {item.pairing.recommendation.id for item in sent}
        for item in stale:
            rec, scenario, capability = item.pairing
            state = "reminded now" if rec.id in reminded else f"reminded {item.reminded_on}"
            stage = item.stage.value if item.stage else "published"
            click.echo(
                f"#{rec.id} {scenario.title} ↔ {capability.title}: {item.days} days since "
                f"{item.last_activity} ({stage}); {state}"
            )
        click.echo(f"{len(stale)} pairings without progress; {len(sent)} reminded now.")


@click.command("learn")
@with_appcontext
@click.option("--list", "only_list", is_flag=True, help="Only list the stored weight sets.")
def learn_command(only_list: bool) -> None:
    """Learn the matcher's weights from officials', buyers' and dockings' decisions; keep
    them only if they rank held-out scenarios' decisions better than the weights in use."""
    from matchmaker.pairing import learning
    from matchmaker.web.db import session_scope

    if not only_list:
        _learn_and_report()
    with session_scope() as session:
        click.echo(_weight_table(learning.history(session)))


def _learn_and_report() -> None:
    from matchmaker.matching.learn import TooFewDecisions
    from matchmaker.pairing.recommend import relearn
    from matchmaker.web.db import session_scope

    with session_scope() as session:
        try:
            learnt = relearn(session)
        except TooFewDecisions as reason:
            click.echo(f"Weights unchanged: {reason}.")
            return
        found = learnt.weight_set
        verdict = "kept: the matcher uses them now" if learnt.kept else "not kept"
        click.echo(
            f"Weight set {found.id} learnt from {found.trained_on} decisions, judged on "
            f"{found.tested_on} held out: ROC AUC {found.new_auc:.4f} against "
            f"{found.current_auc:.4f} for the weights in use; {verdict}."
        )


def _weight_table(sets: list) -> str:
    lines = ["set  kept  decisions  trained  held out  AUC in use  AUC new  weights"]
    lines += [
        f"{w.id:3d}  {'yes' if w.kept else 'no':>4}  {w.decisions:9d}  {w.trained_on:7d}  "
        f"{w.tested_on:8d}  {w.current_auc or 0:10.4f}  {w.new_auc or 0:7.4f}  "
        + ", ".join(f"{name} {value:.3f}" for name, value in w.weights.items())
        for w in sets
    ]
    return "\n".join(lines) if sets else "No weight set learnt yet: the shipped weights are in use."


@click.command("evidence-reminders")
@with_appcontext
def evidence_reminders_command() -> None:
    """Remind firms 30 days before their evidence expires, and tell them when it has (once)."""
    from matchmaker.evidence import operations as evidence
    from matchmaker.web.dates import local_today
    from matchmaker.web.db import session_scope

    # As `remind`: a request context for url_for and the default language. Safe to run daily,
    # or more often: each reminder and each expiry notice is sent once.
    with current_app.test_request_context(), session_scope() as session:
        sent = evidence.send_reminders(session, today=local_today())
        for item in sent.reminded:
            click.echo(f"#{item.id} {item.claim}: expires {item.expires_on}; reminded now")
        for item in sent.lapsed:
            click.echo(f"#{item.id} {item.claim}: expired {item.expires_on}; told now")
        click.echo(
            f"{len(sent.reminded)} reminded, {len(sent.lapsed)} expired, "
            f"{sent.rescored} capabilities rescored."
        )


@click.command("recount")
@with_appcontext
def recount_command() -> None:
    """Rebuild the dashboard's tallies from the tables (after loading rows around the app)."""
    from matchmaker.dashboard import rollup
    from matchmaker.web.db import session_scope

    with session_scope() as session:
        rollup.recount(session)
    click.echo("The tallies are recounted from the tables.")


def register(group: click.Group) -> None:
    """Add every command to `group`."""
    for command in (
        init_db_command,
        seed_command,
        serve_command,
        match_command,
        learn_command,
        remind_command,
        alerts.alerts_command,
        evidence_reminders_command,
        recount_command,
        backup.backup_command,
    ):
        group.add_command(command)
    evaluation.register(group)  # eval and rank: the matcher on any labelled directory


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI."""
    register(app.cli)


register(main)
