"""Application scenarios: public browsing, and posting by the demand side."""

from typing import Any

from flask import Blueprint, Response

from matchmaker import browse, editing
from matchmaker.access import public, side, side_required
from matchmaker.posting import SCENARIO
from models import OrgKind, Scenario, ScenarioStatus

bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")
PUBLIC = (ScenarioStatus.published.value, ScenarioStatus.closed.value)
# The navigation asks which side the signed-in user acts for, to offer "My scenarios" etc.
bp.add_app_template_global(side, "user_side")


@bp.route("/")
@public
def index() -> Response:
    """Published scenarios with live search, filters, sorting and pages."""
    return browse.list_page(Scenario, "scenarios", PUBLIC)


@bp.route("/<int:scenario_id>")
@public
def detail(scenario_id: int) -> str:
    """One scenario, with its pairings (published ones for the public, all for its owner)."""
    return editing.detail_page(SCENARIO, scenario_id, PUBLIC)


@bp.route("/mine")
@side_required(OrgKind.demand)
def mine() -> str:
    """My organisation's scenarios, drafts included."""
    return editing.mine_page(SCENARIO)


@bp.route("/new", methods=["GET", "POST"])
@side_required(OrgKind.demand)
def new() -> Any:
    """Post a scenario: saved as a draft, or submitted for review at once."""
    return editing.new_page(SCENARIO)


@bp.route("/<int:scenario_id>/edit", methods=["GET", "POST"])
@side_required(OrgKind.demand)
def edit(scenario_id: int) -> Any:
    """Edit a draft or submitted scenario of my organisation."""
    return editing.edit_page(SCENARIO, scenario_id)


@bp.route("/<int:scenario_id>/submit", methods=["POST"])
@side_required(OrgKind.demand)
def submit(scenario_id: int) -> Response:
    """Submit a draft for review."""
    return editing.submit_action(SCENARIO, scenario_id)
