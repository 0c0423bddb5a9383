"""Capabilities: public browsing, and posting by the supply side."""

from typing import Any

from flask import Blueprint, Response

from matchmaker import browse, editing
from matchmaker.access import public, side_required
from matchmaker.posting import CAPABILITY
from models import Capability, CapabilityStatus, OrgKind

bp = Blueprint("capabilities", __name__, url_prefix="/capabilities")
PUBLIC = (CapabilityStatus.published.value,)


@bp.route("/")
@public
def index() -> Response:
    """Published capabilities with live search, filters, sorting and pages."""
    return browse.list_page(Capability, "capabilities", PUBLIC)


@bp.route("/<int:capability_id>")
@public
def detail(capability_id: int) -> str:
    """One capability, with its pairings (published ones for the public, all for its owner)."""
    return editing.detail_page(CAPABILITY, capability_id, PUBLIC)


@bp.route("/mine")
@side_required(OrgKind.supply)
def mine() -> str:
    """My firm's capabilities, drafts included."""
    return editing.mine_page(CAPABILITY)


@bp.route("/new", methods=["GET", "POST"])
@side_required(OrgKind.supply)
def new() -> Any:
    """Add a capability: saved as a draft, or submitted for review at once."""
    return editing.new_page(CAPABILITY)


@bp.route("/<int:capability_id>/edit", methods=["GET", "POST"])
@side_required(OrgKind.supply)
def edit(capability_id: int) -> Any:
    """Edit a draft or submitted capability of my firm."""
    return editing.edit_page(CAPABILITY, capability_id)


@bp.route("/<int:capability_id>/submit", methods=["POST"])
@side_required(OrgKind.supply)
def submit(capability_id: int) -> Response:
    """Submit a draft for review."""
    return editing.submit_action(CAPABILITY, capability_id)
