"""Batches: officials assemble and publish numbered batches; everyone browses published ones."""

from typing import Any

import pydantic
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlmodel import col, select
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from matchmaker.batches import publication
from matchmaker.entries import listing
from matchmaker.entries.reference import DISTRICTS, FIELDS
from matchmaker.pairing.pairings import published as published_pairings
from matchmaker.web.access import STAFF, is_staff, public, roles_required
from matchmaker.web.caching import shared
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from matchmaker.web.labels import batch_label, listed
from matchmaker.web.names import reference_options
from matchmaker.web.security import parse_int
from matchmaker.web.text import Form, Length
from models import Batch, BatchStatus

bp = Blueprint("batches", __name__, url_prefix="/batches")


class BatchForm(Form):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    number = IntegerField(
        _l("Number within the year"), validators=[InputRequired(), NumberRange(1, 99)]
    )
    name = StringField(
        _l("Name"),
        description=_l(
            "Leave empty for the usual name, e.g. 2023年第一批 (Batch 1 of 2023 on English pages)."
        ),
        validators=[Optional(), Length(2, 40)],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])


def _ids(name: str) -> list[int]:
    return [n for n in map(parse_int, request.form.getlist(name)) if n is not None]


def _version() -> int | None:
    value = request.form.get("version", "")
    return parse_int(value)


def _candidate_filters() -> dict[str, str]:
    """The field and district that narrow what could go into a batch ("" for any); unknown
    names filter nothing rather than hide everything."""
    field, district = request.args.get("field", ""), request.args.get("district", "")
    return {
        "field": field if field in FIELDS else "",
        "district": district if district in DISTRICTS else "",
    }


def _batch_or_404(batch_id: int) -> Batch:
    """The batch; a draft only for officials."""
    batch = get_session().get(Batch, batch_id)
    if batch is None or (batch.status == BatchStatus.draft and not is_staff()):
        abort(404)
    return batch


@bp.route("/")
@public
@shared
def index() -> str:
    """Published batches, newest first; officials also see drafts."""
    session = get_session()
    stmt = select(Batch).order_by(col(Batch.year).desc(), col(Batch.number).desc())
    if not is_staff():
        stmt = stmt.where(Batch.status == BatchStatus.published)
    batches = session.exec(stmt).all()
    sizes = publication.sizes(session, [b.id for b in batches])
    return render_template("batches/index.html", batches=batches, sizes=sizes)


@bp.route("/pairings")
@public
@shared
def pairings() -> str:
    """Every published pairing, latest batch first, a page at a time."""
    session = get_session()
    rows, page, pages = published_pairings(
        session,
        page=parse_int(request.args.get("page", "1")) or 1,
        page_size=current_app.config["PAGE_SIZE"],
    )
    batches = {b.id: b for b in listing.batches(session)}
    return render_template(
        "batches/pairings.html", rows=rows, page=page, pages=pages, batches=batches
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new() -> Any:
    """Open a numbered draft batch."""
    form = BatchForm()
    if request.method == "GET":
        form.year.data = local_today().year
        form.number.data = publication.next_number(get_session(), form.year.data)
    if form.validate_on_submit():
        session = get_session()
        try:
            batch = publication.create_batch(
                session,
                name=form.name.data or "",
                year=form.year.data,
                number=form.number.data,
                note=form.note.data or "",
                user_id=current_user.id,
            )
        except publication.Taken as taken:
            form[taken.field].errors.append(str(taken))
        except pydantic.ValidationError:
            form.name.errors.append(_("Please check this value."))
        else:
            session.commit()
            flash(_("%(name)s is open: add pairings and entries to it.", name=batch_label(batch)))
            return redirect(url_for("batches.edit", batch_id=batch.id), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("batches/new.html", form=form), status


@bp.route("/<int:batch_id>")
@public
@shared
def detail(batch_id: int) -> str:
    """A batch with its scenarios, capabilities and pairings; a draft is a preview."""
    session = get_session()
    batch = _batch_or_404(batch_id)
    return render_template(
        "batches/detail.html", batch=batch, held=publication.contents(session, batch)
    )


@bp.route("/<int:batch_id>/edit")
@roles_required(*STAFF)
def edit(batch_id: int) -> Any:
    """What a draft batch holds, and what could go into it."""
    session = get_session()
    batch = _batch_or_404(batch_id)
    if batch.status != BatchStatus.draft:
        return redirect(url_for("batches.detail", batch_id=batch.id))
    filters = _candidate_filters()
    return render_template(
        "batches/edit.html",
        batch=batch,
        held=publication.contents(session, batch),
        candidates=publication.candidates(session, **filters),
        filters=filters,
        choices=[
            ("field", _("Field"), _("All fields"), reference_options(FIELDS)),
            ("district", _("District"), _("All districts"), reference_options(DISTRICTS)),
        ],
    )


@bp.route("/<int:batch_id>/items", methods=["POST"])
@roles_required(*STAFF)
def add(batch_id: int) -> Response:
    """Put the ticked pairings and entries into the batch."""
    session = get_session()
    batch = _batch_or_404(batch_id)
    wanted = {
        "pairing_ids": _ids("pairing"),
        "scenario_ids": _ids("scenario"),
        "capability_ids": _ids("capability"),
    }
    # Back to the same filtered list, to go on ticking.
    narrowed = {name: value for name, value in _candidate_filters().items() if value}
    back = url_for("batches.edit", batch_id=batch.id, **narrowed)
    try:
        added = publication.add_items(session, batch, version=_version(), **wanted)
    except publication.NothingChosen as nothing:
        flash(str(nothing), "error")
        return redirect(back, 303)
    if added.count:
        session.commit()
        flash(ngettext("%(num)d item added.", "%(num)d items added.", added.count), "info")
    else:
        # Nothing went in: the batch keeps its version (another official's page stays valid)
        # and the trail records no addition.
        session.rollback()
    if added.refused:
        items = listed(
            _("%(item)s (%(reason)s)", item=r.title, reason=r.reason) for r in added.refused
        )
        flash(_("Some ticked items were not added: %(items)s", items=items), "error")
    return redirect(back, 303)


@bp.route("/<int:batch_id>/items/remove", methods=["POST"])
@roles_required(*STAFF)
def remove(batch_id: int) -> Response:
    """Take one pairing or entry out of the batch."""
    session = get_session()
    batch = _batch_or_404(batch_id)
    item, item_id = request.form.get("item", ""), request.form.get("id", "")
    if item not in publication.REMOVABLE or parse_int(item_id) is None:
        abort(400)
    publication.remove_item(session, batch, version=_version(), item=item, item_id=int(item_id))
    session.commit()
    return redirect(url_for("batches.edit", batch_id=batch.id), 303)


@bp.route("/<int:batch_id>/publish", methods=["POST"])
@roles_required(*STAFF)
def publish(batch_id: int) -> Response:
    """Publish the batch: its pairings go public and both sides of each are told."""
    session = get_session()
    batch = _batch_or_404(batch_id)
    held = publication.publish_batch(session, batch, version=_version())
    session.commit()
    flash(
        ngettext(
            "%(name)s is published with %(num)d pairing.",
            "%(name)s is published with %(num)d pairings.",
            len(held.pairings),
            name=batch_label(batch),
        ),
        "info",
    )
    return redirect(url_for("batches.detail", batch_id=batch.id), 303)
