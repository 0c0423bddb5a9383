"""The `matchmaker` command: init-db, seed, serve and the matcher commands."""

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func
from sqlmodel import select
from werkzeug.serving import run_simple

from matchmaker import matching_cli, seeding
from matchmaker.db import session_scope, upgrade_schema
from matchmaker.recommend import match_command
from models import Scenario


def _create_app() -> Flask:
    from matchmaker import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """matchmaker: the scenario supply-demand matching platform (场景供需对接平台)."""


@click.command("seed")
@with_appcontext
@click.option(
    "--dir",
    "seed_dir",
    type=click.Path(exists=True, file_okay=False),
    default=str(seeding.SEED_DIR),
    show_default=True,
    help="Folder with the seed lists.",
)
def seed_command(seed_dir: str) -> None:
    """Load the seed lists (organisations, demo accounts, 458 scenarios, 1000 capabilities)."""
    from pathlib import Path

    with session_scope() as session:
        counts = seeding.load(session, Path(seed_dir), progress=True)
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


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI."""
    for command in (seed_command, serve_command, match_command):
        app.cli.add_command(command)
    matching_cli.register(app.cli)  # eval and rank: the matcher on any labelled directory
