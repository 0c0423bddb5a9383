"""The officials' review queue through the API: list recommended pairings, approve or reject.

Decisions go through `pairings.decide`, the function behind the review page, so the rules
(a rejection needs a note, the first decision stands, versions must match) are the same.
"""

from matchmaker.api import registry
from matchmaker.api.problems import ApiProblem
from matchmaker.api.reads import entry_ref, explanation
from matchmaker.api.schemas import (
    Decision,
    Recommendation,
    RecommendationListParams,
    RecommendationPage,
)
from matchmaker.api.spec import N_, roles, viewer
from matchmaker.pairing import pairings
from matchmaker.web.access import STAFF
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from models import Recommendation as RecommendationRow

OFFICIALS = roles(*STAFF)


def recommendation_out(pairing: pairings.Pairing) -> Recommendation:
    """A pairing as the review queue shows it."""
    rec = pairing.recommendation
    return Recommendation.model_validate(
        rec.model_dump()
        | {
            "scenario": entry_ref(pairing.scenario, pairing.scenario_org),
            "capability": entry_ref(pairing.capability, pairing.capability_org),
            "explanation": explanation(rec),
        }
    )


def _pairing_or_404(recommendation_id: int) -> pairings.Pairing:
    found = pairings.by_ids(get_session(), [recommendation_id])
    if not found:
        raise ApiProblem(404)
    return found[0]


@registry.operation(
    "GET",
    "/recommendations",
    summary=N_("The review queue"),
    tag="Review",
    access=OFFICIALS,
    query=RecommendationListParams,
    response=RecommendationPage,
)
def list_recommendations(*, params: RecommendationListParams) -> RecommendationPage:
    """Pairings awaiting a decision (or of another status), best score first, with the
    explanation of each and the `version` a decision must carry. Officials only."""
    query = pairings.QueueQuery(
        field=params.field,
        district=params.district,
        batch=params.batch,
        min_score=params.min_score,
        max_score=params.max_score,
        status=params.status,
        page=params.page,
    )
    page = pairings.queue(get_session(), query, today=local_today(), page_size=params.per_page)
    items = [recommendation_out(p) for p in page.items]
    return RecommendationPage.of(items, page, params.per_page)


@registry.operation(
    "GET",
    "/recommendations/{recommendation_id}",
    summary=N_("One pairing of the review queue"),
    tag="Review",
    access=OFFICIALS,
    response=Recommendation,
    problems=(404,),
)
def get_recommendation(*, recommendation_id: int) -> Recommendation:
    """A pairing in any status, with its version, note and explanation. Officials only."""
    return recommendation_out(_pairing_or_404(recommendation_id))


@registry.operation(
    "POST",
    "/recommendations/{recommendation_id}/decision",
    summary=N_("Approve or reject a recommended pairing"),
    tag="Review",
    access=OFFICIALS,
    body=Decision,
    response=Recommendation,
    problems=(404, 409),
)
def decide(*, recommendation_id: int, data: Decision) -> Recommendation:
    """Approve, or reject with a note the firm is told. Send the `version` you read: if
    another official decided first, the answer is 409 and their decision stands; a pairing
    no longer awaiting a decision is 409 too."""
    session = get_session()
    rec = session.get(RecommendationRow, recommendation_id)
    if rec is None:
        raise ApiProblem(404)
    decision = data.root
    pairings.decide(
        session,
        rec,
        decision=decision.decision,
        note=decision.note,
        version=decision.version,
        reviewer_id=viewer().id,
    )
    session.commit()
    return recommendation_out(_pairing_or_404(recommendation_id))
