"""`matchmaker alerts --period daily`: deliver the alerts saved searches have found.

Run by cron (README, "Scheduling"): every few minutes for `immediately`, once a day for
`daily`, once a week for `weekly`. Each run delivers what is waiting and marks it delivered,
so running it twice sends nothing twice.
"""

import click
from flask import current_app
from flask.cli import with_appcontext

# Frequency's values, written out: importing models here would load the database layer for
# every `matchmaker --help` (tests/test_startup.py).
PERIODS = ["immediately", "daily", "weekly"]


@click.command("alerts")
@with_appcontext
@click.option(
    "--period",
    type=click.Choice(PERIODS),
    required=True,
    help="Deliver the alerts of saved searches with this frequency.",
)
def alerts_command(period: str) -> None:
    """Deliver saved searches' alerts: inbox messages and one e-mail digest per user."""
    from flask_babel import force_locale

    from matchmaker.alerts import digest
    from matchmaker.records import notify
    from matchmaker.web.dates import local_today
    from matchmaker.web.db import session_scope
    from models import Frequency
    from models._types import utcnow

    frequency = Frequency(period)
    now, today = utcnow(), local_today()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # A request context gives url_for its site-relative links (made absolute for mail), as
    # they would have in a request; each digest is written in its reader's language.
    with app.test_request_context():
        with session_scope() as session:
            users = digest.recipients(session, frequency, now=now)
        mailing = notify.mail_configured()
        told = alerts = mailed = 0
        with click.progressbar(users, label=f"Alerts ({period})") as bar:
            for user_id in bar:
                with session_scope() as session:
                    found = digest.collect(session, user_id, frequency, now=now, today=today)
                    if found is None:
                        continue
                    digest.deliver(session, found, now=now)
                # Delivered and committed: from here on no run sends these again.
                told += 1
                alerts += sum(len(group.items) for group in found.groups)
                if not (mailing and found.groups):
                    continue
                with force_locale(found.user.language):
                    message = digest.compose(found, secret=app.secret_key)
                if notify.send(message):
                    mailed += 1
                    with session_scope() as session:
                        digest.mark_mailed(session, found.alert_ids, now=now)
    click.echo(
        f"{alerts} alerts delivered to {told} users' inboxes; {mailed} e-mails sent"
        + ("" if mailing else " (SMTP_HOST is not set: no e-mail)")
        + "."
    )
