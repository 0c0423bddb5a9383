"""Posting entries, written once for both kinds: drafts, edits, submission, officials' review.

A scenario (demand side) and a capability (supply side) go through the same steps: a draft
private to its organisation, submitted for review, then published by an official or sent
back with a reason. Each step is one domain function; the views only parse and render.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from matchmaker.alerts import matches
from matchmaker.entries.indexing import index_entry
from matchmaker.pairing import recommend
from matchmaker.records import audit, notify
from matchmaker.records.versions import claim
from matchmaker.web.dates import local_today
from matchmaker.web.errors import NotAllowed
from models import Capability, Organisation, OrgKind, Scenario
from models._types import utcnow
from models.capability import CapabilityBase
from models.scenario import ScenarioBase

Entry = Scenario | Capability
EDITABLE = ("draft", "submitted")  # published entries change only through an official
THIN_DESCRIPTION = 60  # characters; below this a description rarely states the need


@dataclass(frozen=True)
class Kind:
    """What differs between the two kinds of entry."""

    name: str  # "scenario" / "capability": audit actions, matcher side, detail view argument
    area: str  # the blueprint: "scenarios" / "capabilities"
    model: type[Scenario] | type[Capability]
    base: type[ScenarioBase] | type[CapabilityBase]  # validates the fields an owner edits
    side: OrgKind  # who posts it
    ended: str  # the status its owner ends it with: a scenario is closed, a capability withdrawn
    end_verb: str  # that action in the URL and the audit trail: "close" / "withdraw"

    def status(self, code: str) -> Any:
        """The model's status enum member for `code`."""
        return self.model.model_fields["status"].annotation(code)

    def editable_fields(self) -> tuple[str, ...]:
        """The fields of the owner's form."""
        return tuple(self.base.model_fields)

    def detail_url(self, entry: Entry) -> str:
        """The entry's page."""
        return url_for(f"{self.area}.detail", **{f"{self.name}_id": entry.id})


SCENARIO = Kind("scenario", "scenarios", Scenario, ScenarioBase, OrgKind.demand, "closed", "close")
CAPABILITY = Kind(
    "capability",
    "capabilities",
    Capability,
    CapabilityBase,
    OrgKind.supply,
    "withdrawn",
    "withdraw",
)
KINDS = {kind.area: kind for kind in (SCENARIO, CAPABILITY)}


def kind_of(entry: Entry) -> Kind:
    """The kind of a stored entry."""
    return SCENARIO if isinstance(entry, Scenario) else CAPABILITY


def thin_hints(kind: Kind, values: Mapping[str, Any]) -> list[str]:
    """Warnings (not errors) for a description too thin to match or to act on."""

    def text(name: str) -> str:
        return str(values.get(name) or "").strip()

    hints = []
    if len(text("description")) < THIN_DESCRIPTION:
        hints.append(
            _(
                "The description is short (under %(count)d characters). Say what is needed, "
                "where and at what scale: firms and the matcher find a fuller need more easily.",
                count=THIN_DESCRIPTION,
            )
            if kind is SCENARIO
            else _(
                "The description is short (under %(count)d characters). Say what you deliver, "
                "for whom and with what results: buyers and the matcher find a fuller offer "
                "more easily.",
                count=THIN_DESCRIPTION,
            )
        )
    if kind is SCENARIO:
        if not text("problem"):
            hints.append(_("State the problem: what goes wrong today, and for whom."))
        if not text("target_users"):
            hints.append(_("Say who it is for: the people who will use what is built."))
        if not text("current_state"):
            hints.append(_("Say how it is done today, so that firms see what they replace."))
        if not text("expected_outcome"):
            hints.append(_("State the expected outcome: what will be better, and by how much."))
    elif not values.get("cases"):
        hints.append(_("Add a reference case: buyers trust work that has been done before."))
    return hints


def create_entry(
    session: Session, kind: Kind, *, organisation_id: int, data: Mapping[str, Any], submit: bool
) -> Entry:
    """Save a new draft (or submit it at once); raises pydantic's ValidationError on bad data."""
    clean = kind.base.model_validate(dict(data))
    if submit:
        _require_verified(session, organisation_id)
    status = kind.status("submitted" if submit else "draft")
    entry = kind.model(**clean.model_dump(), organisation_id=organisation_id, status=status)
    index_entry(entry)
    session.add(entry)
    audit.record(session, f"{kind.name}.create", entry, {"status": status.value})
    if submit:
        recommend.recommend_entry(session, entry)
    return entry


def update_entry(
    session: Session, entry: Entry, *, data: Mapping[str, Any], version: int | None, submit: bool
) -> list[str]:
    """Save the owner's edit of a draft or submitted entry; returns the changed fields.

    Raises Conflict when the entry changed since the form was opened, NotAllowed once it is
    published, and pydantic's ValidationError on bad data.
    """
    kind = kind_of(entry)
    if entry.status not in EDITABLE:
        raise NotAllowed(_("A published entry can no longer be edited."))
    clean = kind.base.model_validate(dict(data))
    if submit:
        _require_verified(session, entry.organisation_id)
    claim(session, entry, version, _conflict_message())
    changed = [name for name, value in clean if getattr(entry, name) != value]
    for name in changed:
        setattr(entry, name, getattr(clean, name))
    if submit:
        entry.status = kind.status("submitted")
    entry.updated_at = utcnow()
    index_entry(entry)
    audit.record(
        session, f"{kind.name}.update", entry, {"fields": changed, "status": entry.status.value}
    )
    if entry.status == "submitted":
        recommend.recommend_entry(session, entry)
    return changed


def submit_entry(session: Session, entry: Entry, *, version: int | None) -> None:
    """Send a draft to the officials; its recommendations are computed at once."""
    kind = kind_of(entry)
    if entry.status != "draft":
        raise NotAllowed(_("Only a draft can be submitted."))
    _require_verified(session, entry.organisation_id)
    stale = _(
        "Someone changed this draft after you opened its page, so it was not submitted. "
        "Reload the page, check the latest version, then submit it again."
    )
    claim(session, entry, version, stale)
    entry.status = kind.status("submitted")
    entry.updated_at = utcnow()
    audit.record(session, f"{kind.name}.submit", entry, {"status": "submitted"})
    recommend.recommend_entry(session, entry)


def publish_entry(session: Session, entry: Entry, *, version: int | None) -> None:
    """An official publishes a submitted entry; its organisation is told."""
    kind = kind_of(entry)
    if entry.status != "submitted":
        raise NotAllowed(_("Only a submitted entry can be published."))
    claim(session, entry, version, _decided_message())
    entry.status = kind.status("published")
    entry.published_at = entry.updated_at = utcnow()
    entry.review_note = ""
    audit.record(session, f"{kind.name}.publish", entry, {"status": "published"})
    _tell_owner(session, entry, "entry.published")
    recommend.recommend_entry(session, entry)
    # Saved searches that find it, and followers it fits, are recorded now; the scheduled
    # `matchmaker alerts` delivers them.
    matches.record_published(session, entry, today=local_today())


def return_entry(session: Session, entry: Entry, *, version: int | None, reason: str) -> None:
    """An official sends a submitted entry back to its draft, with the reason; owner is told."""
    kind = kind_of(entry)
    if entry.status != "submitted":
        raise NotAllowed(_("Only a submitted entry can be sent back."))
    claim(session, entry, version, _decided_message())
    entry.status = kind.status("draft")
    entry.review_note = reason
    entry.updated_at = utcnow()
    audit.record(session, f"{kind.name}.return", entry, {"status": "draft", "reason": reason})
    _tell_owner(session, entry, "entry.returned", reason=reason)
    # A draft is no one's business but its owner's: its pairings leave the review queue.
    recommend.forget_entry(session, entry)


ONLY_PUBLISHED = _l("Only a published entry can be closed or withdrawn.")


def require_published(entry: Entry) -> None:
    """Only a published entry can be closed or withdrawn (NotAllowed otherwise)."""
    if entry.status != "published":
        raise NotAllowed(str(ONLY_PUBLISHED))


def end_entry(session: Session, entry: Entry, *, version: int | None, reason: str) -> None:
    """The owner takes a published entry off the lists: a scenario is closed (its need met or
    dropped), a capability withdrawn (no longer offered). Its undecided matcher pairings go;
    decided pairings, their dockings and the interest shown stay on record."""
    kind = kind_of(entry)
    require_published(entry)
    claim(session, entry, version, _decided_message())
    entry.status = kind.status(kind.ended)
    entry.updated_at = utcnow()
    audit.record(
        session, f"{kind.name}.{kind.end_verb}", entry, {"status": kind.ended, "reason": reason}
    )
    recommend.forget_entry(session, entry)


def _require_verified(session: Session, organisation_id: int) -> None:
    """Submission waits for an official's verification of the organisation; drafts do not."""
    org = session.get(Organisation, organisation_id)
    if org is None or not org.verified:
        raise NotAllowed(
            _("Your organisation must be verified by an official before it submits entries.")
        )


def _tell_owner(session: Session, entry: Entry, event: str, **params: str) -> None:
    """Notify the entry's organisation of an official's decision (wording: messages.py)."""
    notify.notify_org(
        session,
        entry.organisation_id,
        event,
        {"title": entry.title, **params},
        kind_of(entry).detail_url(entry),
    )


def _conflict_message() -> str:
    return _(
        "Someone changed this entry after you opened it. Your text is below, unsaved: "
        "compare it with the latest version, then save again."
    )


def _decided_message() -> str:
    return _("Another official or the owner changed this entry first. Reload to see it.")
