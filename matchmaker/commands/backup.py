"""`matchmaker backup`: an online backup that is safe while the app writes."""

import shutil
import sqlite3
import subprocess  # (pg_dump only, a fixed argv without a shell)  # nosec B404
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def backup_sqlite(database: Path, destination: Path) -> str:
    """Copy a live SQLite database with its online backup API; return integrity_check's verdict."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    # sqlite3's backup copies a consistent snapshot page by page while writers carry on.
    with sqlite3.connect(database) as source, sqlite3.connect(destination) as target:
        source.backup(target, pages=1024)
    with sqlite3.connect(destination) as copy:
        return copy.execute("PRAGMA integrity_check").fetchone()[0]


@click.command("backup")
@with_appcontext
@click.argument("destination", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(destination: Path | None) -> None:
    """Back up the database (SQLite online backup, or pg_dump for PostgreSQL)."""
    from sqlalchemy.engine import make_url

    url = make_url(current_app.config["DATABASE_URL"])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backups = Path(current_app.instance_path) / "backups"
    if url.get_backend_name() == "sqlite":
        destination = destination or backups / f"matchmaker-{stamp}.db"
        verdict = backup_sqlite(Path(url.database or ""), destination)
        if verdict != "ok":
            raise click.ClickException(f"integrity_check of {destination} said: {verdict}")
        click.echo(f"Backed up to {destination} (integrity_check: ok)")
        return
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise click.ClickException("pg_dump is not installed; install the PostgreSQL client.")
    destination = destination or backups / f"matchmaker-{stamp}.dump"
    destination.parent.mkdir(parents=True, exist_ok=True)
    libpq_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    # A fixed argv without a shell; the URL comes from the operator's own configuration.
    argv = [pg_dump, "--format=custom", f"--file={destination}", libpq_url]
    subprocess.run(argv, check=True)  # noqa: S603  # nosec B603
    click.echo(f"Backed up to {destination} (pg_dump custom format)")
