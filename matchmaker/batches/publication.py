"""Numbered batches (2023年第一批): approved pairings and published entries, published together."""

from collections.abc import Iterable
from typing import NamedTuple

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import Select, func, update
from sqlmodel import Session, col, select

from matchmaker.dashboard.aggregates import PUBLIC_CAPABILITY, PUBLIC_SCENARIO
from matchmaker.pairing import pairings
from matchmaker.pairing.pairings import Pairing
from matchmaker.records import audit, notify
from matchmaker.records.versions import claim
from matchmaker.web.errors import NotAllowed
from matchmaker.web.labels import batch_name_label, status_label
from models import (
    Batch,
    BatchStatus,
    Capability,
    Recommendation,
    RecommendationStatus,
    Scenario,
)
from models._types import utcnow
from models.batch import BatchBase, default_name


class NothingChosen(ValueError):
    """Nothing was asked to be added to a batch."""


class Taken(ValueError):
    """A batch of that name, or of that year and number, exists already."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def next_number(session: Session, year: int) -> int:
    """The number a new batch of `year` takes: one after the year's last (1 for the first)."""
    last = session.exec(select(func.max(Batch.number)).where(Batch.year == year)).one()
    return min((last or 0) + 1, 99)


def create_batch(
    session: Session, *, name: str, year: int, number: int, note: str, user_id: int
) -> Batch:
    """Open a draft batch; its name and its (year, number) must both be new."""
    clean = BatchBase.model_validate(
        {"name": name or default_name(year, number), "year": year, "number": number, "note": note}
    )
    # The number first: with no name typed, the name is the number's usual one, and the
    # number is what to change.
    if session.exec(select(Batch).where(Batch.year == year, Batch.number == number)).first():
        usual = batch_name_label(default_name(year, number))  # 2026年第九批, Batch 9 of 2026
        raise Taken("number", _("%(batch)s exists already.", batch=usual))
    if session.exec(select(Batch).where(Batch.name == clean.name)).first():
        raise Taken("name", _("A batch named %(name)s exists already.", name=clean.name))
    batch = Batch.model_validate({**clean.model_dump(), "created_by_id": user_id})
    session.add(batch)
    audit.record(session, "batch.create", batch, clean.model_dump())
    return batch


class Contents(NamedTuple):
    """What a batch holds (or, for candidates, could hold)."""

    pairings: list[Pairing]
    scenarios: list[Scenario]
    capabilities: list[Capability]

    def __bool__(self) -> bool:
        return bool(self.pairings or self.scenarios or self.capabilities)

    def published_entries(self) -> tuple[list[Scenario], list[Capability]]:
        """The entries publishing makes part of the batch: its own, and its pairings' entries
        that no batch holds yet (``publish_batch`` files those under it)."""
        scenarios = {s.id: s for s in self.scenarios}
        capabilities = {c.id: c for c in self.capabilities}
        for pairing in self.pairings:
            if pairing.scenario.batch_id is None:
                scenarios.setdefault(pairing.scenario.id, pairing.scenario)
            if pairing.capability.batch_id is None:
                capabilities.setdefault(pairing.capability.id, pairing.capability)
        return list(scenarios.values()), list(capabilities.values())


# What a batch publishes, for its page, the batch list and the statistics alike: its pairings
# (approved ones wait in a draft batch, publishing it makes them public) and its entries the
# public may see. An entry marked with the batch but still a draft or under review is not
# published by it (the seed lists hold such entries), so it is neither shown nor counted.
BATCH_PAIRING = (RecommendationStatus.approved, RecommendationStatus.published)
BATCH_ENTRY = {Scenario: PUBLIC_SCENARIO, Capability: PUBLIC_CAPABILITY}


def contents(session: Session, batch: Batch) -> Contents:
    """The batch's pairings and the entries it publishes."""
    return Contents(
        pairings.in_batch(session, batch.id, statuses=BATCH_PAIRING),
        *(
            list(
                session.exec(
                    select(m)
                    .where(m.batch_id == batch.id, col(m.status).in_(statuses))
                    .order_by(m.id)
                )
            )
            for m, statuses in BATCH_ENTRY.items()
        ),
    )


class Candidates(NamedTuple):
    """What could go into a batch: the first `limit` of each kind, and how many wait in all."""

    shown: Contents
    waiting: tuple[int, int, int]  # pairings, scenarios, capabilities
    limit: int

    @property
    def cut(self) -> bool:
        """Whether some waiting items are not shown (the official narrows the filters)."""
        return any(
            len(shown) < total for shown, total in zip(self.shown, self.waiting, strict=True)
        )


def candidates(
    session: Session, *, field: str = "", district: str = "", limit: int = 200
) -> Candidates:
    """Approved pairings and published entries that no batch holds yet, in `field` and
    `district` when given (a pairing by its scenario's)."""

    def narrowed(query: Select, model: type[Scenario] | type[Capability]) -> Select:
        if field:
            query = query.where(model.field == field)
        if district:
            query = query.where(model.district == district)
        return query

    loose = narrowed(
        select(Recommendation.id)
        .join(Scenario, col(Scenario.id) == Recommendation.scenario_id)
        .where(
            Recommendation.status == RecommendationStatus.approved,
            col(Recommendation.batch_id).is_(None),
        ),
        Scenario,
    )
    entries = [
        narrowed(select(m).where(m.status == "published", col(m.batch_id).is_(None)), m)
        for m in (Scenario, Capability)
    ]
    shown = Contents(
        pairings.by_ids(
            session,
            session.exec(loose.order_by(col(Recommendation.score).desc()).limit(limit)).all(),
        ),
        *(
            list(
                session.exec(
                    query.order_by(col(m.published_at).desc(), col(m.id).desc()).limit(limit)
                )
            )
            for m, query in zip((Scenario, Capability), entries, strict=True)
        ),
    )
    pairings_waiting, scenarios_waiting, capabilities_waiting = (
        session.exec(select(func.count()).select_from(query.subquery())).one()
        for query in (loose, *entries)
    )
    return Candidates(shown, (pairings_waiting, scenarios_waiting, capabilities_waiting), limit)


def _draft(batch: Batch) -> None:
    if batch.status != BatchStatus.draft:
        raise NotAllowed(_("This batch is published and can no longer change."))


def _conflict() -> str:
    return _("Another official changed this batch first. Reload it and try again.")


class Refused(NamedTuple):
    """A ticked item that did not go into the batch, and why."""

    title: str
    reason: str


class Added(NamedTuple):
    """What `add_items` put into the batch, and what it left out."""

    count: int
    refused: list[Refused]


def _held_by(session: Session, batch: Batch, batch_id: int) -> str:
    if batch_id == batch.id:
        return _("already in this batch")
    other = session.get(Batch, batch_id)
    return _("already in %(batch)s", batch=other.name if other else batch_id)


def _pairing_refusal(session: Session, batch: Batch, pairing: Pairing) -> str | None:
    """Why a ticked pairing cannot go into the batch, or None when it can."""
    rec = pairing.recommendation
    if rec.batch_id is not None:
        return _held_by(session, batch, rec.batch_id)
    if rec.status != RecommendationStatus.approved:
        return _("not approved (%(status)s)", status=status_label(rec.status))
    if pairing.scenario.status != "published" or pairing.capability.status != "published":
        return _("an entry is not yet published")
    return None


def _entry_refusal(session: Session, batch: Batch, entry: Scenario | Capability) -> str | None:
    """Why a ticked scenario or capability cannot go into the batch, or None when it can."""
    if entry.batch_id is not None:
        return _held_by(session, batch, entry.batch_id)
    if entry.status != "published":
        return _("not published (%(status)s)", status=status_label(entry.status))
    return None


def add_items(
    session: Session,
    batch: Batch,
    *,
    version: int | None,
    pairing_ids: Iterable[int] = (),
    scenario_ids: Iterable[int] = (),
    capability_ids: Iterable[int] = (),
) -> Added:
    """Put approved pairings and published entries into a draft batch; say what was left out.

    A pairing goes in only if both its entries are published, since publishing the batch
    makes it public; anything already in a batch, or not in the right state, is left out
    with its reason. Raises NothingChosen, and records nothing, when no id is given.
    """
    _draft(batch)
    pairing_ids, scenario_ids, capability_ids = map(
        list, (pairing_ids, scenario_ids, capability_ids)
    )
    if not (pairing_ids or scenario_ids or capability_ids):
        raise NothingChosen(_("Nothing was ticked: tick the pairings or entries to add first."))
    claim(session, batch, version, _conflict())
    refused: list[Refused] = []
    found = {p.recommendation.id: p for p in pairings.by_ids(session, pairing_ids)}
    chosen: dict[type, list[int]] = {Recommendation: []}
    for rec_id in pairing_ids:
        pairing = found.get(rec_id)
        reason = (
            _("no longer exists") if pairing is None else _pairing_refusal(session, batch, pairing)
        )
        if reason is None:
            chosen[Recommendation].append(rec_id)
        else:
            title = (
                f"{pairing.scenario.title} ↔ {pairing.capability.title}"
                if pairing
                else f"#{rec_id}"
            )
            refused.append(Refused(title, reason))
    for model, ids in ((Scenario, scenario_ids), (Capability, capability_ids)):
        chosen[model] = []
        for entry_id in ids:
            entry = session.get(model, entry_id)
            reason = (
                _("no longer exists") if entry is None else _entry_refusal(session, batch, entry)
            )
            if reason is None:
                chosen[model].append(entry_id)
            else:
                refused.append(Refused(entry.title if entry else f"#{entry_id}", reason))
    added: dict[type, list[int]] = {}
    for model, ids in chosen.items():
        # The batch's new version, claimed above, keeps a second official from adding the
        # same items at once; unbatched-only still guards against a race with another batch.
        added[model] = sorted(
            session.exec(
                update(model)
                .where(col(model.id).in_(ids), col(model.batch_id).is_(None))
                .values(batch_id=batch.id)
                .returning(col(model.id))
                .execution_options(synchronize_session=False)
            ).scalars()
        )
    # The trail says what went in, not what was ticked (the refused are on the page).
    went_in = {
        "pairings": added[Recommendation],
        "scenarios": added[Scenario],
        "capabilities": added[Capability],
    }
    audit.record(session, "batch.add", batch, {key: ids for key, ids in went_in.items() if ids})
    return Added(sum(map(len, added.values())), refused)


REMOVABLE = {"pairing": Recommendation, "scenario": Scenario, "capability": Capability}


def remove_item(
    session: Session, batch: Batch, *, version: int | None, item: str, item_id: int
) -> bool:
    """Take one pairing or entry out of a draft batch; False if the batch did not hold it."""
    _draft(batch)
    model = REMOVABLE[item]
    claim(session, batch, version, _conflict())
    removed = session.exec(
        update(model)
        .where(model.id == item_id, model.batch_id == batch.id)
        .values(batch_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    audit.record(session, "batch.remove", batch, {item: item_id})
    return bool(removed)


def publish_batch(session: Session, batch: Batch, *, version: int | None) -> Contents:
    """Publish a draft batch: its pairings become public, both sides of each are told."""
    _draft(batch)
    held = contents(session, batch)
    if not held:
        raise NotAllowed(_("The batch is empty: add pairings or entries first."))
    unpublished = [
        p
        for p in held.pairings
        if p.scenario.status != "published" or p.capability.status != "published"
    ]
    if unpublished:
        raise NotAllowed(
            _(
                "Both sides of a pairing must be published first: %(titles)s",
                titles="; ".join(f"{p.scenario.title} ↔ {p.capability.title}" for p in unpublished),
            )
        )
    claim(session, batch, version, _conflict())
    scenarios, capabilities = held.published_entries()
    now = utcnow()
    for pairing in held.pairings:
        rec = pairing.recommendation
        rec.status = RecommendationStatus.published
        rec.version += 1
        rec.updated_at = now
        for entry in (pairing.scenario, pairing.capability):
            if entry.batch_id is None:
                entry.batch_id = batch.id
    batch.status = BatchStatus.published
    batch.published_at = now
    audit.record(
        session,
        "batch.publish",
        batch,
        {
            "pairings": [p.recommendation.id for p in held.pairings],
            "scenarios": [s.id for s in scenarios],
            "capabilities": [c.id for c in capabilities],
        },
    )
    for pairing in held.pairings:
        params = {
            "scenario": pairing.scenario.title,
            "capability": pairing.capability.title,
            "batch": batch.name,
        }
        notify.notify_org(
            session,
            pairing.scenario.organisation_id,
            "pairing.published",
            params,
            url_for("scenarios.detail", scenario_id=pairing.scenario.id),
        )
        notify.notify_org(
            session,
            pairing.capability.organisation_id,
            "pairing.published",
            params,
            url_for("capabilities.detail", capability_id=pairing.capability.id),
        )
    return held


def sizes(session: Session, batch_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """(pairings, scenarios, capabilities) each batch publishes, as `contents` holds them."""
    ids = list(batch_ids)
    counts: dict[int, list[int]] = {i: [0, 0, 0] for i in ids}
    counted = {Recommendation: BATCH_PAIRING, **BATCH_ENTRY}
    for n, (model, statuses) in enumerate(counted.items()):
        rows = session.exec(
            select(model.batch_id, func.count())
            .where(col(model.batch_id).in_(ids), col(model.status).in_(statuses))
            .group_by(model.batch_id)
        )
        for batch_id, number in rows:
            counts[batch_id][n] = number
    return {i: (c[0], c[1], c[2]) for i, c in counts.items()}
