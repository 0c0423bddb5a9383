"""Writes with a personal token: own entries (draft, edit, submit) and docking follow-up
(record, correct, and read the steps).

Every rule lives in the domain functions the web pages call too (`posting`, `docking`); the
views here only check who may act on which object, call them, and answer with JSON.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pydantic
from flask import url_for
from flask_babel import gettext as _

from matchmaker.api import registry
from matchmaker.api.problems import ApiProblem, FieldProblem, from_validation_error
from matchmaker.api.reads import present
from matchmaker.api.schemas import (
    CapabilityCreate,
    CapabilityOwned,
    CapabilityUpdate,
    DockingStep,
    DockingStepCreate,
    DockingTimeline,
    ScenarioCreate,
    ScenarioOwned,
    ScenarioUpdate,
    Signed,
    Submit,
)
from matchmaker.api.spec import N_, TOKEN, side, viewer
from matchmaker.docking import followup
from matchmaker.entries import posting
from matchmaker.pairing.pairings import Pairing
from matchmaker.web.access import STAFF
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from models import DockingEvent, DockingStage, Organisation, OrgKind

DEMAND = side(OrgKind.demand)
SUPPLY = side(OrgKind.supply)


def _own_or_404(kind: posting.Kind, entry_id: int) -> posting.Entry:
    """An entry of the token's organisation; anyone else's answers 404, as on the web."""
    entry = get_session().get(kind.model, entry_id)
    if entry is None or entry.organisation_id != viewer().organisation_id:
        raise ApiProblem(404)
    return entry


def _answer(entry: posting.Entry) -> Any:
    return present(entry, get_session().get(Organisation, entry.organisation_id))


def _create(kind: posting.Kind, data: pydantic.BaseModel) -> tuple[Any, dict[str, str]]:
    session = get_session()
    try:
        entry = posting.create_entry(
            session,
            kind,
            organisation_id=viewer().organisation_id,
            data=data.model_dump(),
            submit=False,
        )
    except pydantic.ValidationError as err:
        raise from_validation_error(err, "body") from None
    session.commit()
    location = url_for(f"api.get_{kind.name}", **{f"{kind.name}_id": entry.id})
    return _answer(entry), {"Location": location}


def _update(kind: posting.Kind, entry_id: int, data: pydantic.BaseModel) -> Any:
    session = get_session()
    entry = _own_or_404(kind, entry_id)
    try:
        posting.update_entry(
            session,
            entry,
            data=data.model_dump(exclude={"version"}),
            version=data.version,  # type: ignore[attr-defined]
            submit=False,
        )
    except pydantic.ValidationError as err:
        raise from_validation_error(err, "body") from None
    session.commit()
    return _answer(entry)


def _submit(kind: posting.Kind, entry_id: int, data: Submit) -> Any:
    session = get_session()
    entry = _own_or_404(kind, entry_id)
    posting.submit_entry(session, entry, version=data.version)
    session.commit()
    return _answer(entry)


@registry.operation(
    "POST",
    "/scenarios",
    summary=N_("Create a scenario draft"),
    tag="Scenarios",
    access=DEMAND,
    body=ScenarioCreate,
    response=ScenarioOwned,
    status=201,
    location=True,
)
def create_scenario(*, data: ScenarioCreate) -> tuple[Any, dict[str, str]]:
    """Save a new application scenario as a draft of your organisation (verified demand side).

    Only your organisation sees it until it is submitted and an official publishes it. The
    answer's `Location` is the draft's address; `version` is needed to change or submit it.
    """
    return _create(posting.SCENARIO, data)


@registry.operation(
    "PUT",
    "/scenarios/{scenario_id}",
    summary=N_("Replace your scenario draft"),
    tag="Scenarios",
    access=DEMAND,
    body=ScenarioUpdate,
    response=ScenarioOwned,
    problems=(404, 409),
)
def update_scenario(*, scenario_id: int, data: ScenarioUpdate) -> Any:
    """Replace every editable field of your draft or submitted scenario.

    409 when `version` is not the stored one (someone changed it since you read it), or
    when the scenario is already published.
    """
    return _update(posting.SCENARIO, scenario_id, data)


@registry.operation(
    "POST",
    "/scenarios/{scenario_id}/submit",
    summary=N_("Submit your scenario draft for review"),
    tag="Scenarios",
    access=DEMAND,
    body=Submit,
    response=ScenarioOwned,
    problems=(404, 409),
)
def submit_scenario(*, scenario_id: int, data: Submit) -> Any:
    """Send your draft to the officials; the matcher recommends capabilities for it at once."""
    return _submit(posting.SCENARIO, scenario_id, data)


@registry.operation(
    "POST",
    "/capabilities",
    summary=N_("Create a capability draft"),
    tag="Capabilities",
    access=SUPPLY,
    body=CapabilityCreate,
    response=CapabilityOwned,
    status=201,
    location=True,
)
def create_capability(*, data: CapabilityCreate) -> tuple[Any, dict[str, str]]:
    """Save a new capability as a draft of your firm (verified supply side).

    Only your firm sees it until it is submitted and an official publishes it.
    """
    return _create(posting.CAPABILITY, data)


@registry.operation(
    "PUT",
    "/capabilities/{capability_id}",
    summary=N_("Replace your capability draft"),
    tag="Capabilities",
    access=SUPPLY,
    body=CapabilityUpdate,
    response=CapabilityOwned,
    problems=(404, 409),
)
def update_capability(*, capability_id: int, data: CapabilityUpdate) -> Any:
    """Replace every editable field of your draft or submitted capability (409 as above)."""
    return _update(posting.CAPABILITY, capability_id, data)


@registry.operation(
    "POST",
    "/capabilities/{capability_id}/submit",
    summary=N_("Submit your capability draft for review"),
    tag="Capabilities",
    access=SUPPLY,
    body=Submit,
    response=CapabilityOwned,
    problems=(404, 409),
)
def submit_capability(*, capability_id: int, data: Submit) -> Any:
    """Send your draft to the officials; the matcher recommends scenarios for it at once."""
    return _submit(posting.CAPABILITY, capability_id, data)


def _party_pairing(pairing_id: int) -> Pairing:
    """A published pairing the token's organisation is a party to (404, 403 otherwise)."""
    pairing = followup.published_pairing(get_session(), pairing_id)
    if pairing is None:
        raise ApiProblem(404)
    if viewer().organisation_id not in followup.party_ids(pairing):
        raise ApiProblem(403, _("Only the two parties of a pairing record its docking steps."))
    return pairing


def _entered(data: DockingStepCreate) -> followup.StepInput:
    step = data.root
    return followup.StepInput(
        stage=DockingStage(step.stage),
        occurred_on=step.occurred_on,
        note=step.note,
        contract_amount_wan=(
            Decimal(str(step.contract_amount_wan)) if isinstance(step, Signed) else None
        ),
        reason=getattr(step, "reason", ""),
    )


def _refusal(refused: followup.StepRefused) -> ApiProblem:
    """409 for a step out of order, 422 (naming the field) for a wrong value."""
    if refused.order:
        return ApiProblem(409, str(refused))
    problem = FieldProblem(
        location="body",
        field=refused.field or "",
        pointer=f"/{refused.field or ''}",
        type="refused",
        message=str(refused),
    )
    return ApiProblem(422, str(refused), errors=[problem])


def _step_out(event: DockingEvent, corrects: DockingEvent | None = None) -> DockingStep:
    return DockingStep.model_validate(
        event.model_dump()
        | {"pairing_id": event.recommendation_id, "corrects_id": corrects.id if corrects else None}
    )


# Recording a step and correcting one answer alike.
STEP_WRITE: dict[str, Any] = {
    "tag": "Pairings",
    "access": TOKEN,
    "body": DockingStepCreate,
    "response": DockingStep,
    "status": 201,
    "problems": (404, 409),
}


def _stored(write: Callable[[], DockingEvent]) -> DockingEvent:
    """Run a step's `write` and commit it; a step the rules refuse is a 409 or a 422."""
    try:
        event = write()
    except followup.StepRefused as refused:
        raise _refusal(refused) from None
    get_session().commit()
    return event


@registry.operation(
    "POST",
    "/pairings/{pairing_id}/docking",
    summary=N_("Record a docking step on your pairing"),
    **STEP_WRITE,
)
def record_docking_step(*, pairing_id: int, data: DockingStepCreate) -> DockingStep:
    """Record progress on a published pairing your organisation is a party to.

    contacted → negotiating → signed (with the contract amount, in 万元) or closed (with the
    reason). Stages only go forward (409 otherwise, and after signed or closed); the date
    may not be in the future nor before the scenario's publication or the previous step (422);
    it may be before the pairing's publication.
    The other party is notified.
    """
    pairing = _party_pairing(pairing_id)
    event = _stored(
        lambda: followup.record_step(
            get_session(), pairing=pairing, user=viewer(), step=_entered(data), today=local_today()
        )
    )
    return _step_out(event)


@registry.operation(
    "POST",
    "/pairings/{pairing_id}/docking/{step_id}/correction",
    summary=N_("Correct the latest docking step, recorded in error"),
    **STEP_WRITE,
)
def correct_docking_step(*, pairing_id: int, step_id: int, data: DockingStepCreate) -> DockingStep:
    """Replace the pairing's latest step, recorded in error, by the step in the body.

    Only the organisation that recorded the step may correct it (403), and only while it is
    the latest step and not yet corrected (409). The correction is checked like a new step
    against the one before (422); the original stays in the audit trail, and the other party
    is notified.
    """
    session = get_session()
    pairing = _party_pairing(pairing_id)
    original = session.get(DockingEvent, step_id)
    if original is None or original.recommendation_id != pairing_id:
        raise ApiProblem(404)
    if original.organisation_id != viewer().organisation_id:
        raise ApiProblem(403, _("A step is corrected by the organisation that recorded it."))
    event = _stored(
        lambda: followup.correct_step(
            session,
            pairing=pairing,
            user=viewer(),
            original=original,
            step=_entered(data),
            today=local_today(),
        )
    )
    return _step_out(event, corrects=original)


@registry.operation(
    "GET",
    "/pairings/{pairing_id}/docking",
    summary=N_("The docking steps of your pairing"),
    tag="Pairings",
    access=TOKEN,
    response=DockingTimeline,
    problems=(404,),
)
def docking_timeline(*, pairing_id: int) -> DockingTimeline:
    """Every step that counts, in the order it happened, for the two parties and officials.

    A step replaced by a correction is left out; its correcting step names it in
    `corrects_id`.
    """
    session = get_session()
    pairing = followup.published_pairing(session, pairing_id)
    user = viewer()
    if pairing is None or not (
        user.organisation_id in followup.party_ids(pairing) or user.role in STAFF
    ):
        raise ApiProblem(404)
    steps = followup.timeline(session, pairing_id)
    return DockingTimeline(
        pairing_id=pairing_id, steps=[_step_out(s.event, s.corrects) for s in steps]
    )
