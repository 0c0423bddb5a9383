"""The home page."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func
from sqlmodel import col, select

from matchmaker.dashboard import rollup
from matchmaker.entries import listing
from matchmaker.pairing import pairings
from matchmaker.web.access import is_staff, public
from matchmaker.web.caching import shared
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from models import Capability, CapabilityStatus, Organisation, Scenario, ScenarioStatus

bp = Blueprint("main", __name__)


@bp.route("/")
@public
@shared
def home() -> str:
    """Headline figures, the newest published scenarios and, for a signed-in firm or buyer,
    the best recommendations for its own entries."""
    session = get_session()
    published = ScenarioStatus.published
    # The entry counts come from the tallies the lists count by: a million rows are not
    # counted on every visit to the home page.
    counts = {
        "scenarios": rollup.count_entries(session, Scenario, statuses=[published]),
        "capabilities": rollup.count_entries(
            session, Capability, statuses=[CapabilityStatus.published]
        ),
        "organisations": session.exec(
            select(func.count()).where(col(Organisation.verified).is_(True))
        ).one(),
    }
    latest = session.exec(
        select(*listing.card_columns(Scenario))
        .where(Scenario.status == published)
        .order_by(col(Scenario.published_at).desc(), col(Scenario.id).desc())
        .limit(6)
    ).all()
    mine = (
        pairings.for_organisation(session, current_user.organisation_id, today=local_today())
        if current_user.is_authenticated and not is_staff()
        else None
    )
    return render_template("main/home.html", counts=counts, latest=latest, mine=mine)
