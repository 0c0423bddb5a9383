"""The home page."""

from flask import Blueprint, render_template
from sqlalchemy import func
from sqlmodel import col, select

from matchmaker.web.access import public
from matchmaker.web.caching import shared
from matchmaker.web.db import get_session
from models import Capability, CapabilityStatus, Organisation, Scenario, ScenarioStatus

bp = Blueprint("main", __name__)


@bp.route("/")
@public
@shared
def home() -> str:
    """Headline figures and the newest published scenarios."""
    session = get_session()
    published_scenarios = Scenario.status == ScenarioStatus.published
    counts = {
        "scenarios": session.exec(select(func.count()).where(published_scenarios)).one(),
        "capabilities": session.exec(
            select(func.count()).where(Capability.status == CapabilityStatus.published)
        ).one(),
        "organisations": session.exec(
            select(func.count()).where(col(Organisation.verified).is_(True))
        ).one(),
    }
    latest = session.exec(
        select(Scenario)
        .where(published_scenarios)
        .order_by(col(Scenario.published_at).desc(), col(Scenario.id).desc())
        .limit(6)
    ).all()
    return render_template("main/home.html", counts=counts, latest=latest)
