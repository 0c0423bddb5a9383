"""Officials' review: submitted entries (publish or send back) and the pairing queue."""

from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

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
from flask_babel import ngettext
from flask_login import current_user
from sqlmodel import col, or_, select

from matchmaker.entries import listing, posting
from matchmaker.entries.reference import DISTRICTS, FIELDS
from matchmaker.pairing import pairings
from matchmaker.web import htmx
from matchmaker.web.access import STAFF, roles_required
from matchmaker.web.caching import remembered
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from matchmaker.web.errors import Conflict, NotAllowed
from matchmaker.web.labels import batch_label, status_label
from matchmaker.web.names import reference_options
from matchmaker.web.security import parse_int
from models import Interest, InterestStatus, Organisation, Recommendation, User

bp = Blueprint("review", __name__, url_prefix="/review")
NOTE_MAX = 500


def _version(text: str | None) -> int | None:
    return parse_int(text)


# ----- submitted entries -------------------------------------------------------------------


def _submissions_page(errors: dict[str, str] | None = None, status: int = 200) -> Any:
    """Each kind's submitted entries, oldest first, a page at a time (`scenarios_page`,
    `capabilities_page`), both narrowed by the words in `q`."""
    session = get_session()
    q = request.args.get("q", "").strip()[:100]
    lists = []
    for kind in posting.KINDS.values():
        stmt = (
            select(kind.model, Organisation)
            .join(Organisation, Organisation.id == kind.model.organisation_id)
            .where(kind.model.status == "submitted")
            .order_by(col(kind.model.updated_at), col(kind.model.id))
        )
        if q:
            # The words in the entry, or in the name of the organisation that posted it.
            said = listing.matching(select(kind.model.id), kind.model, q)
            by_name = col(Organisation.name).contains(q, autoescape=True)
            stmt = stmt.where(or_(col(kind.model.id).in_(said), by_name))
        page = listing.paged(
            session,
            stmt,
            page=listing.page_number(request.args.get(f"{kind.area}_page")),
            page_size=current_app.config["PAGE_SIZE"],
        )
        rows = [(e, o, posting.thin_hints(kind, e.model_dump())) for e, o in page.items]
        lists.append((kind, rows, page))
    page = render_template(
        "review/submissions.html", lists=lists, errors=errors or {}, q=q, here=_list_state()
    )
    return page, status


def _list_state() -> dict[str, str]:
    """The search and the pages this request came from. They travel with each form, so that a
    refusal shows this same page (with the error beside its entry) and a decision comes back
    to it."""
    names = ("q", "scenarios_page", "capabilities_page")
    return {name: request.args[name] for name in names if name in request.args}


def _back_to_submissions() -> str:
    return url_for("review.submissions", **_list_state())


def _entry_or_404(area: str, entry_id: int) -> posting.Entry:
    return get_session().get(posting.KINDS[area].model, entry_id) or abort(404)


@bp.route("/submissions")
@roles_required(*STAFF)
def submissions() -> Any:
    """Submitted scenarios and capabilities waiting to be published or sent back."""
    return _submissions_page()


@bp.route("/<any(scenarios, capabilities):area>/<int:entry_id>/publish", methods=["POST"])
@roles_required(*STAFF)
def publish(area: str, entry_id: int) -> Response:
    """Publish a submitted entry; its organisation is told."""
    session, entry = get_session(), _entry_or_404(area, entry_id)
    posting.publish_entry(session, entry, version=_version(request.form.get("version")))
    session.commit()
    flash(_("“%(title)s” is published.", title=entry.title), "info")
    return redirect(_back_to_submissions(), 303)


@bp.route("/<any(scenarios, capabilities):area>/<int:entry_id>/return", methods=["POST"])
@roles_required(*STAFF)
def send_back(area: str, entry_id: int) -> Any:
    """Send a submitted entry back to its draft with a reason its organisation is told."""
    session, entry = get_session(), _entry_or_404(area, entry_id)
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > NOTE_MAX:
        message = _("Say what should change (up to %(count)d characters).", count=NOTE_MAX)
        return _submissions_page({f"{area}-{entry_id}": message}, 422)
    posting.return_entry(
        session, entry, version=_version(request.form.get("version")), reason=reason
    )
    session.commit()
    flash(_("“%(title)s” was sent back to its owner.", title=entry.title), "info")
    return redirect(_back_to_submissions(), 303)


# ----- the pairing queue -------------------------------------------------------------------


def _reviewers(session: Any, items: list[pairings.Pairing]) -> dict[int, str]:
    ids = {p.recommendation.reviewer_id for p in items} - {None}
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(col(User.id).in_(list(ids)))).all())


class Refusal(NamedTuple):
    """A single decision refused to a browser without JavaScript: shown in its row, with the
    note as typed (or above the list, when the row is not on the page)."""

    rec_id: int
    message: str
    note: str


def _declined(session: Any, items: list[pairings.Pairing]) -> dict[int, str]:
    """For the pairings whose buyer declined the same firm's interest in the scenario: the
    buyer's reason, by pairing id. An official deciding the matcher's pairing of the two
    should know the buyer has already said no, and why."""
    if not items:
        return {}
    pair = {(p.scenario.id, p.capability.organisation_id): p.recommendation.id for p in items}
    rows = session.exec(
        select(Interest.scenario_id, Interest.organisation_id, Interest.reason).where(
            Interest.status == InterestStatus.declined,
            col(Interest.scenario_id).in_({s for s, _o in pair}),
            col(Interest.organisation_id).in_({o for _s, o in pair}),
        )
    )
    return {pair[(s, o)]: reason for s, o, reason in rows if (s, o) in pair}


def _queue_page(
    query: pairings.QueueQuery,
    status: int = 200,
    *,
    refusal: Refusal | None = None,
    back: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The queue at `query`; `back` its filters as the page's forms return to them (a refused
    form's own, else the request's query string)."""
    session, today = get_session(), local_today()
    # Counting every matching pairing is the queue's dearest part; the count stands until
    # the next write.
    total = remembered(
        ("review-queue-total", query._replace(page=1), today),
        lambda: pairings.queue_total(session, query, today=today),
    )
    page = pairings.queue(
        session, query, today=today, page_size=current_app.config["PAGE_SIZE"], total=total
    )
    if refusal and all(p.recommendation.id != refusal.rec_id for p in page.items):
        extra["error"] = refusal.message
    response = htmx.render(
        "review/queue.html",
        "review/_results.html",
        target="results",
        query=query,
        page=page,
        reviewers=_reviewers(session, page.items),
        declined=_declined(session, page.items),
        options={
            "fields": reference_options(FIELDS),
            "districts": reference_options(DISTRICTS),
            "batches": [(b.id, batch_label(b)) for b in listing.batches(session, drafts=True)],
            "statuses": [(s, status_label(s)) for s in pairings.STATUSES],
            "sources": [
                ("interest", _("Both parties (an accepted interest)")),
                ("matcher", _("The matcher alone")),
            ],
        },
        back=request.query_string.decode() if back is None else urlencode(back),
        refusal=refusal,
        **extra,
    )
    response.status_code = status
    return response


@bp.route("/")
@roles_required(*STAFF)
def queue() -> Response:
    """Recommended pairings with both sides, scores and explanations; filters update live."""
    return _queue_page(pairings.parse_queue_query(request.args))


def _check_decision(decision: str, note: str) -> str | None:
    """The reason a decision cannot be taken as posted, or None."""
    if decision not in pairings.DECISIONS:
        return _("Choose to approve or to reject.")
    if decision == "reject" and not note:
        return _("Say why the pairing is rejected: the firm will be told.")
    if len(note) > NOTE_MAX:
        return _("The note may have at most %(count)d characters.", count=NOTE_MAX)
    return None


@bp.route("/recommendations/<int:rec_id>/decision", methods=["POST"])
@roles_required(*STAFF)
def decide(rec_id: int) -> Any:
    """Approve or reject one pairing; htmx gets the row back, a plain form the queue."""
    session = get_session()
    rec = session.get(Recommendation, rec_id) or abort(404)
    decision = request.form.get("decision", "")
    note = request.form.get("note", "").strip()
    version = _version(request.form.get("version"))
    message, status = _check_decision(decision, note), 422
    if message is None and version is None:
        message = _("The form is incomplete. Reload the page and decide again.")
    if message is None:
        try:
            pairings.decide(
                session,
                rec,
                decision=decision,
                note=note,
                version=version,
                reviewer_id=current_user.id,
            )
            session.commit()
            status = 200
        except (Conflict, NotAllowed) as refused:
            session.rollback()
            session.refresh(rec)
            message, status = str(refused), 409
    back = _queue_filters(request.form.get("back", ""))
    if not htmx.wants_fragment():
        if message:
            # The queue as the official left it, the refusal beside the note they typed.
            refusal = Refusal(rec.id, message, note)
            query = pairings.parse_queue_query(back)
            return _queue_page(query, status, refusal=refusal, back=back)
        flash(_("Decision saved."), "info")
        return redirect(url_for("review.queue", **back), 303)
    (pairing,) = pairings.by_ids(session, [rec.id])
    response = Response(
        render_template(
            "review/_row.html",
            p=pairing,
            reviewers=_reviewers(session, [pairing]),
            declined=_declined(session, [pairing]),
            message=message,
            note=note if message else "",
            back=urlencode(back),
        ),
        status,
    )
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def _queue_filters(back: str) -> dict[str, str]:
    """The queue's filters from a form's `back` field (the query string it was shown with)."""
    known = pairings.QueueQuery._fields
    return {k: v for k, v in parse_qsl(back) if k in known}


def _picked(values: list[str]) -> dict[int, int]:
    """{recommendation id: version} from the bulk form's "id:version" check boxes."""
    picked = {}
    for value in values:
        rec_id, _sep, version = value.partition(":")
        if parse_int(rec_id) is not None and parse_int(version) is not None:
            picked[int(rec_id)] = int(version)
    return picked


@bp.route("/recommendations/bulk", methods=["POST"])
@roles_required(*STAFF)
def bulk() -> Any:
    """Decide the ticked pairings with one note; those decided by others first are reported."""
    back = _queue_filters(request.form.get("back", ""))
    query = pairings.parse_queue_query(back)
    decision = request.form.get("decision", "")
    note = request.form.get("note", "").strip()
    picked = _picked(request.form.getlist("pick"))
    message = _check_decision(decision, note)
    if message is None and not picked:
        message = _("Tick at least one pairing.")
    if message:
        # The ticks and the note stay as they were sent: only the missing part is asked for.
        return _queue_page(query, 422, back=back, error=message, ticked=set(picked), bulk_note=note)
    session = get_session()
    result = pairings.decide_many(
        session, picked, decision=decision, note=note, reviewer_id=current_user.id
    )
    session.commit()
    done = len(result.decided)
    if done and decision == "approve":
        flash(ngettext("%(num)d pairing approved.", "%(num)d pairings approved.", done), "info")
    elif done:
        flash(ngettext("%(num)d pairing rejected.", "%(num)d pairings rejected.", done), "info")
    for ids, text in (
        (result.conflicts, _("Decided by another official first, left as they were:")),
        (result.skipped, _("Not awaiting a decision, left as they were:")),
    ):
        found = pairings.by_ids(session, ids) if ids else []
        if found:
            names = "; ".join(f"{p.scenario.title} ↔ {p.capability.title}" for p in found)
            flash(f"{text} {names}", "error")
        if len(ids) > len(found):  # deleted meanwhile (a re-match), or never there
            gone = len(ids) - len(found)
            flash(
                ngettext(
                    "%(num)d ticked pairing no longer exists; the matcher may have replaced it.",
                    "%(num)d ticked pairings no longer exist; the matcher may have replaced them.",
                    gone,
                ),
                "error",
            )
    return redirect(url_for("review.queue", **back), 303)
