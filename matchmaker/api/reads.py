"""Public reads: published scenarios, capabilities, batches and pairings, searched like the web."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from matchmaker.api import registry
from matchmaker.api.problems import ApiProblem
from matchmaker.api.schemas import (
    BatchPage,
    BatchPublic,
    CapabilityListParams,
    CapabilityOwned,
    CapabilityPage,
    CapabilityPublic,
    DockingStatus,
    EntryListParams,
    EntryRef,
    Explanation,
    Me,
    OrganisationRef,
    Paging,
    PairingListParams,
    PairingPage,
    PairingPublic,
    Reason,
    ScenarioListParams,
    ScenarioOwned,
    ScenarioPage,
    ScenarioPublic,
    Term,
)
from matchmaker.api.spec import N_, TOKEN, viewer
from matchmaker.docking import followup
from matchmaker.entries import listing
from matchmaker.evidence import claims
from matchmaker.matching.reasons import telling
from matchmaker.pairing import pairings
from matchmaker.web.access import STAFF
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from models import (
    Batch,
    BatchStatus,
    Capability,
    CapabilityStatus,
    Organisation,
    Recommendation,
    RecommendationStatus,
    Scenario,
    ScenarioStatus,
)

SCENARIO_PUBLIC = (ScenarioStatus.published.value, ScenarioStatus.closed.value)
CAPABILITY_PUBLIC = (CapabilityStatus.published.value,)
Entry = Scenario | Capability


def is_insider(entry: Entry) -> bool:
    """True for the token's own organisation's entries, and for officials past the draft stage.

    As on the web, a draft is its organisation's own business, officials' included; insiders
    see unpublished entries, their contacts and the review note.
    """
    user = viewer()
    if user is None:
        return False
    if user.organisation_id == entry.organisation_id:
        return True
    return user.role in STAFF and entry.status != "draft"


def organisations(session: Session, ids: Iterable[int]) -> dict[int, Organisation]:
    """Organisations by id, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(Organisation).where(col(Organisation.id).in_(wanted)))
    return {org.id: org for org in rows}


def present(entry: Entry, org: Organisation, held: claims.Verified | None = None) -> Any:
    """The entry's public face; its owner (and officials) also get the review note.

    As on the web, others see a capability's qualifications and cases only once verified and
    while in force; `held` are its firm's verified claims (read here when not given).
    """
    insider = is_insider(entry)
    data = entry.model_dump() | {"organisation": OrganisationRef.model_validate(org)}
    if isinstance(entry, Capability) and not insider:
        if held is None:
            found = claims.verified(get_session(), [org.id], today=local_today())
            held = found.get(org.id, claims.NOTHING_VERIFIED)
        data |= {
            "qualifications": [q for q in entry.qualifications if q in held.qualifications],
            "cases": [c for c in entry.cases if c in held.cases],
        }
    if isinstance(entry, Scenario):
        if not insider and entry.status != ScenarioStatus.published:
            # A contact is published with its scenario, and withdrawn when it closes.
            data |= {"contact_name": None, "contact_phone": None}
        return (ScenarioOwned if insider else ScenarioPublic).model_validate(data)
    return (CapabilityOwned if insider else CapabilityPublic).model_validate(data)


def visible_or_404(model: type[Scenario] | type[Capability], entry_id: int) -> Entry:
    """The entry if it is public, the token's organisation's own, or the viewer is an official."""
    entry = get_session().get(model, entry_id)
    public = SCENARIO_PUBLIC if model is Scenario else CAPABILITY_PUBLIC
    if entry is None or (entry.status not in public and not is_insider(entry)):
        raise ApiProblem(404)
    return entry


def _search(
    model: type[Scenario] | type[Capability],
    params: EntryListParams,
    statuses: tuple[str, ...],
) -> tuple[list[Any], listing.Page]:
    session = get_session()
    query = listing.ListQuery(
        q=params.q.strip(),
        field=params.field,
        district=params.district,
        status=getattr(params, "status", None) or "",
        batch=params.batch,
        sort=params.sort,  # type: ignore[attr-defined]
        page=params.page,
    )
    page = listing.search(
        session,
        model,
        query,
        visible_statuses=statuses,
        today=local_today(),
        page_size=params.per_page,
        whole=True,
    )
    orgs = organisations(session, (entry.organisation_id for entry in page.items))
    held = claims.verified(session, orgs, today=local_today())
    return [
        present(
            entry,
            orgs[entry.organisation_id],
            held.get(entry.organisation_id, claims.NOTHING_VERIFIED),
        )
        for entry in page.items
    ], page


@registry.operation(
    "GET",
    "/scenarios",
    summary=N_("Search published scenarios"),
    tag="Scenarios",
    query=ScenarioListParams,
    response=ScenarioPage,
)
def list_scenarios(*, params: ScenarioListParams) -> ScenarioPage:
    """Published and closed application scenarios (应用场景), newest first unless sorted.

    `q` is matched like the web list: each word must start a word of the title, summary,
    description or tags, after folding Traditional to Simplified characters and full-width
    to half-width. Contacts are given only while a scenario is published.
    """
    items, page = _search(Scenario, params, SCENARIO_PUBLIC)
    return ScenarioPage.of(items, page, params.per_page)


@registry.operation(
    "GET",
    "/scenarios/{scenario_id}",
    summary=N_("Get a scenario"),
    tag="Scenarios",
    response=ScenarioPublic,
    problems=(404,),
)
def get_scenario(*, scenario_id: int) -> ScenarioPublic:
    """A published or closed scenario; with a token, also your organisation's own drafts.

    The owning organisation and officials also receive `review_note` and `created_at`.
    """
    scenario = visible_or_404(Scenario, scenario_id)
    return present(scenario, get_session().get(Organisation, scenario.organisation_id))


@registry.operation(
    "GET",
    "/capabilities",
    summary=N_("Search published capabilities"),
    tag="Capabilities",
    query=CapabilityListParams,
    response=CapabilityPage,
)
def list_capabilities(*, params: CapabilityListParams) -> CapabilityPage:
    """Published capabilities (企业能力), newest first unless sorted; `q` as for scenarios."""
    items, page = _search(Capability, params, CAPABILITY_PUBLIC)
    return CapabilityPage.of(items, page, params.per_page)


@registry.operation(
    "GET",
    "/capabilities/{capability_id}",
    summary=N_("Get a capability"),
    tag="Capabilities",
    response=CapabilityPublic,
    problems=(404,),
)
def get_capability(*, capability_id: int) -> CapabilityPublic:
    """A published capability; with a token, also your organisation's own drafts."""
    capability = visible_or_404(Capability, capability_id)
    return present(capability, get_session().get(Organisation, capability.organisation_id))


def _batch_counts(session: Session, batch_ids: list[int]) -> dict[str, dict[int, int]]:
    published = {
        "scenarios": (Scenario, ScenarioStatus.published),
        "capabilities": (Capability, CapabilityStatus.published),
        "pairings": (Recommendation, RecommendationStatus.published),
    }
    counts: dict[str, dict[int, int]] = {}
    for name, (model, status) in published.items():
        rows = session.exec(
            select(model.batch_id, func.count())
            .where(col(model.batch_id).in_(batch_ids), model.status == status)
            .group_by(model.batch_id)
        )
        counts[name] = dict(rows.all())
    return counts


def _batches_out(session: Session, batches: list[Batch]) -> list[BatchPublic]:
    counts = _batch_counts(session, [b.id for b in batches])
    return [
        BatchPublic.model_validate(
            batch.model_dump() | {name: counts[name].get(batch.id, 0) for name in counts}
        )
        for batch in batches
    ]


@registry.operation(
    "GET",
    "/batches",
    summary=N_("List published batches"),
    tag="Batches",
    query=Paging,
    response=BatchPage,
)
def list_batches(*, params: Paging) -> BatchPage:
    """Published batches (e.g. 2023年第一批), newest first, with what each published."""
    session = get_session()
    published = select(Batch).where(Batch.status == BatchStatus.published)
    total = session.exec(select(func.count()).select_from(published.subquery())).one()
    pages = max(1, -(-total // params.per_page))
    page = min(params.page, pages)
    batches = session.exec(
        published.order_by(col(Batch.year).desc(), col(Batch.number).desc(), col(Batch.id))
        .offset((page - 1) * params.per_page)
        .limit(params.per_page)
    ).all()
    found = listing.Page(list(batches), total, page, pages)
    return BatchPage.of(_batches_out(session, found.items), found, params.per_page)


@registry.operation(
    "GET",
    "/batches/{batch_id}",
    summary=N_("Get a published batch"),
    tag="Batches",
    response=BatchPublic,
    problems=(404,),
)
def get_batch(*, batch_id: int) -> BatchPublic:
    """One published batch with its counts; list its entries with `?batch=` on the lists."""
    session = get_session()
    batch = session.get(Batch, batch_id)
    if batch is None or batch.status != BatchStatus.published:
        raise ApiProblem(404)
    return _batches_out(session, [batch])[0]


def entry_ref(entry: Entry, org: Organisation) -> EntryRef:
    """One side of a pairing, in brief."""
    return EntryRef(
        id=entry.id,
        title=entry.title,
        field=entry.field,
        district=entry.district,
        organisation=org.name,
    )


def explanation(rec: Recommendation) -> Explanation:
    """The stored explanation of a pairing ([term, weight] and [code, value] pairs)."""
    return Explanation(
        # As the pages: pairings stored by an earlier matcher may hold words that tell a
        # reader nothing (single characters, words every entry uses).
        terms=[
            Term(term=str(t[0]), weight=float(t[1]))
            for t in rec.terms
            if len(t) >= 2 and telling(str(t[0]))
        ],
        matched_tags=[str(tag) for tag in rec.matched_tags],
        reasons=[Reason(code=str(r[0]), value=str(r[1])) for r in rec.reasons if len(r) >= 2],
        parts={name: float(value) for name, value in rec.parts.items()},
    )


def pairing_public(pairing: pairings.Pairing, last: Any) -> PairingPublic:
    """A published pairing with its explanation and its latest docking step."""
    rec = pairing.recommendation
    return PairingPublic(
        id=rec.id,
        scenario=entry_ref(pairing.scenario, pairing.scenario_org),
        capability=entry_ref(pairing.capability, pairing.capability_org),
        score=rec.score,
        source=rec.source,
        batch_id=rec.batch_id,
        explanation=explanation(rec),
        docking=DockingStatus.model_validate(last) if last is not None else None,
    )


@registry.operation(
    "GET",
    "/pairings",
    summary=N_("List published pairings"),
    tag="Pairings",
    query=PairingListParams,
    response=PairingPage,
)
def list_pairings(*, params: PairingListParams) -> PairingPage:
    """Published pairings of a scenario and a capability, best score first, each with the
    explanation a person can check and the latest step of its docking follow-up."""
    session = get_session()
    query = pairings.QueueQuery(
        field=params.field,
        district=params.district,
        batch=params.batch,
        min_score=None,
        max_score=None,
        status=RecommendationStatus.published.value,
        page=params.page,
    )
    page = pairings.queue(session, query, today=local_today(), page_size=params.per_page)
    last = followup.latest_events(session, [p.recommendation.id for p in page.items])
    items = [pairing_public(p, last.get(p.recommendation.id)) for p in page.items]
    return PairingPage.of(items, page, params.per_page)


def published_pairing_or_404(pairing_id: int) -> pairings.Pairing:
    """The published pairing with this id."""
    found = pairings.by_ids(get_session(), [pairing_id])
    if not found or found[0].recommendation.status != RecommendationStatus.published:
        raise ApiProblem(404)
    return found[0]


@registry.operation(
    "GET",
    "/pairings/{pairing_id}",
    summary=N_("Get a published pairing"),
    tag="Pairings",
    response=PairingPublic,
    problems=(404,),
)
def get_pairing(*, pairing_id: int) -> PairingPublic:
    """One published pairing, with its explanation and latest docking step."""
    pairing = published_pairing_or_404(pairing_id)
    last = followup.latest_events(get_session(), [pairing_id]).get(pairing_id)
    return pairing_public(pairing, last)


@registry.operation(
    "GET",
    "/me",
    summary=N_("The account of this token"),
    tag="Account",
    access=TOKEN,
    response=Me,
)
def me() -> Me:
    """Who the token belongs to: the account, its role and its organisation."""
    user = viewer()
    org = get_session().get(Organisation, user.organisation_id)
    return Me.model_validate(
        user.model_dump() | {"organisation": OrganisationRef.model_validate(org)}
    )
