"""Atom feeds: every public list (with its filters), each published batch, published pairings,
and public saved searches, so that officials and firms can follow them in any feed reader."""

from collections.abc import Iterable

from flask import Blueprint, Response, abort, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlmodel import col, select

from matchmaker.alerts import searches
from matchmaker.batches import publication
from matchmaker.dashboard.aggregates import PUBLIC_CAPABILITY, PUBLIC_SCENARIO
from matchmaker.entries import listing
from matchmaker.feeds import atom
from matchmaker.pairing.pairings import Pairing
from matchmaker.pairing.pairings import published as published_pairings
from matchmaker.web.access import public
from matchmaker.web.dates import local_time, local_today
from matchmaker.web.db import get_session
from models import Batch, BatchStatus, Capability, Organisation, SavedSearch, Scenario

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
SIZE = 50  # entries in a feed: readers keep what they have seen
AREAS = {"scenarios": (Scenario, PUBLIC_SCENARIO), "capabilities": (Capability, PUBLIC_CAPABILITY)}
# The list's filters a feed keeps (not its sort or page: a feed is always newest first).
FEED_ARGS = ("q", "field", "district", "status", "batch", "budget_min", "budget_max")


def _answer(title: str, page_url: str, items: Iterable[atom.Item]) -> Response:
    body = atom.document(
        title=title,
        page_url=page_url,
        feed_url=request.url,
        language="zh-CN" if str(get_locale()) == "zh" else "en",
        author=_("Scenario matching platform"),
        items=items,
    )
    return Response(body, mimetype=atom.MEDIA_TYPE)


def _absolute(endpoint: str, **values: object) -> str:
    return url_for(endpoint, _external=True, **values)


def _entry_items(entries: list[Scenario] | list[Capability]) -> list[atom.Item]:
    """Feed items of published entries, with their organisation as author."""
    session = get_session()
    org_ids = {entry.organisation_id for entry in entries}
    names = dict(
        session.exec(
            select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(org_ids))
        ).all()
    )
    items = []
    for entry in entries:
        area = "scenarios" if isinstance(entry, Scenario) else "capabilities"
        ids = {"scenario_id" if area == "scenarios" else "capability_id": entry.id}
        items.append(
            atom.Item(
                url=_absolute(f"{area}.detail", **ids),
                title=entry.title,
                updated=local_time(entry.published_at or entry.updated_at),
                summary=entry.summary or entry.description[:300],
                categories=(entry.field, entry.district),
                author=names.get(entry.organisation_id, ""),
            )
        )
    return items


@bp.app_template_global()
def feed_args(query: listing.ListQuery) -> dict[str, object]:
    """The list query's filters that its feed keeps, leaving out the empty ones."""
    values = query._asdict()
    return {name: values[name] for name in FEED_ARGS if values[name] not in ("", None)}


@bp.route("/<any(scenarios, capabilities):area>.atom")
@public
def entries(area: str) -> Response:
    """The newest published scenarios or capabilities the list's filters find."""
    model, statuses = AREAS[area]
    query = listing.parse_query(request.args, model)._replace(sort="newest", page=1)
    found = listing.search(
        get_session(),
        model,
        query,
        visible_statuses=tuple(s.value for s in statuses),
        today=local_today(),
        page_size=SIZE,
        whole=True,  # a feed item reads the entry's summary, description and organisation
    )
    title = _("Application scenarios") if area == "scenarios" else _("Capabilities")
    if query.q:
        title = f"{title}: {query.q}"
    page_url = _absolute(f"{area}.index", **feed_args(query))
    return _answer(title, page_url, _entry_items(found.items))


@bp.route("/batches.atom")
@public
def batches() -> Response:
    """Published batches, newest first, each with what it published."""
    session = get_session()
    rows = session.exec(
        select(Batch)
        .where(Batch.status == BatchStatus.published)
        .order_by(col(Batch.published_at).desc(), col(Batch.id).desc())
        .limit(SIZE)
    ).all()
    sizes = publication.sizes(session, [b.id for b in rows])
    items = [
        atom.Item(
            url=_absolute("batches.detail", batch_id=batch.id),
            title=batch.name,
            updated=local_time(batch.published_at or batch.created_at),
            summary=_(
                "%(pairings)d pairings, %(scenarios)d scenarios, %(capabilities)d capabilities",
                pairings=sizes[batch.id][0],
                scenarios=sizes[batch.id][1],
                capabilities=sizes[batch.id][2],
            )
            + (f"\n{batch.note}" if batch.note else ""),
        )
        for batch in rows
    ]
    return _answer(_("Batches"), _absolute("batches.index"), items)


def _pairing_items(rows: list[Pairing]) -> list[atom.Item]:
    return [
        atom.Item(
            # A pairing has no public page of its own: its scenario's page lists it.
            url=_absolute("scenarios.detail", scenario_id=p.scenario.id)
            + f"#pairing-{p.recommendation.id}",
            title=f"{p.scenario.title} ↔ {p.capability.title}",
            updated=local_time(p.recommendation.updated_at),
            summary=f"{p.scenario_org.name} ↔ {p.capability_org.name}",
            categories=(p.scenario.field, p.capability.field),
        )
        for p in rows
    ]


@bp.route("/batches/<int:batch_id>.atom")
@public
def batch(batch_id: int) -> Response:
    """What one published batch published: its pairings, scenarios and capabilities."""
    session = get_session()
    found = session.get(Batch, batch_id)
    if found is None or found.status != BatchStatus.published:
        abort(404)
    held = publication.contents(session, found)
    items = _pairing_items(held.pairings) + _entry_items(held.scenarios)
    items += _entry_items(held.capabilities)
    items.sort(key=lambda item: item.updated, reverse=True)
    return _answer(found.name, _absolute("batches.detail", batch_id=found.id), items)


@bp.route("/pairings.atom")
@public
def pairings() -> Response:
    """Published pairings, latest batch first."""
    rows, _page, _pages = published_pairings(get_session(), page=1, page_size=SIZE)
    return _answer(_("Published pairings"), _absolute("batches.pairings"), _pairing_items(rows))


@bp.route("/searches/<int:search_id>.atom")
@public
def search(search_id: int) -> Response:
    """A public saved search's newest finds (a search kept private has no feed)."""
    session = get_session()
    found = session.get(SavedSearch, search_id)
    if found is None or not found.public:
        abort(404)
    page = searches.results(session, found, today=local_today(), page=1, page_size=SIZE)
    items = _entry_items([item.entry for item in page.items])
    return _answer(found.name, _absolute("alerts.results", search_id=found.id), items)
