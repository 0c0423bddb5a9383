"""Load the seed lists (seed/data) into the database; running it again the same day changes
nothing.

The lists were written as of the day their newest batch was published, with deadlines around
that day. Loaded years later they would show every scenario open past its deadline, so the
loader keeps each batch's own publication date (its scenarios are published on it) and moves
every deadline by as many days as the load day is after that newest batch: the newest batch's
scenarios are open, older batches' partly closed (截止), as on the day the lists describe. The
files themselves stay as generated (byte-identical on every `python -m seed.generate`).
"""

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import click
from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from matchmaker.commands import SEED_DIR
from matchmaker.entries.indexing import index_entry, index_search
from matchmaker.web.dates import local_zone
from models import Batch, BatchStatus, Capability, Organisation, Role, Scenario, User
from models._types import utcnow

BATCH_NAME = re.compile(r"^(\d{4})年第([一二三四五六七八九十])批$")
CHINESE_NUMBERS = "一二三四五六七八九十"
ROLE_OF = {"admin": Role.admin, "official": Role.official}
BATCH_LEAD = timedelta(days=30)  # a batch is published a month before its first deadline


class SeedCounts(NamedTuple):
    organisations: int
    users: int
    scenarios: int
    capabilities: int


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


class Calendar(NamedTuple):
    """The seed lists' dates as of the load day: batch publication times, the deadline shift."""

    published: dict[str, datetime]  # batch name -> its publication time (aware UTC)
    shift: timedelta  # added to every deadline in the lists

    @classmethod
    def of(cls, scenarios: Iterable[dict[str, Any]], *, today: date) -> "Calendar":
        """Each batch published a month before its scenarios' first deadline; every deadline
        moved by the days from the newest batch's publication to `today`."""
        first: dict[str, date] = {}
        for raw in scenarios:
            if raw.get("batch") and raw.get("deadline"):
                day = date.fromisoformat(raw["deadline"])
                first[raw["batch"]] = min(day, first.get(raw["batch"], day))
        days = {name: day - BATCH_LEAD for name, day in first.items()}
        published = {
            name: datetime.combine(day, time(10), tzinfo=local_zone()).astimezone(UTC)
            for name, day in days.items()
        }
        return cls(published, today - max(days.values(), default=today))

    def deadline(self, listed: str | None) -> date | None:
        """A deadline of the lists, as of the load day."""
        return date.fromisoformat(listed) + self.shift if listed else None


def _batch(
    session: Session, name: str | None, cache: dict[str, Batch], calendar: Calendar
) -> Batch | None:
    """The batch called `name` (e.g. 2022年第一批), created and published on its day if new."""
    if not name:
        return None
    if name not in cache:
        batch = session.exec(select(Batch).where(Batch.name == name)).first()
        if batch is None:
            match = BATCH_NAME.match(name)
            year, number = (int(match[1]), CHINESE_NUMBERS.index(match[2]) + 1) if match else (0, 1)
            batch = Batch(name=name, year=year, number=number, status=BatchStatus.published)
            session.add(batch)
        # Its own publication date, not the load date (also mending batches loaded before).
        batch.published_at = calendar.published.get(name) or batch.published_at or utcnow()
        session.flush()
        cache[name] = batch
    return cache[name]


def _upsert(session: Session, model: type, key_column: str, key: str, values: dict[str, Any]):
    """Insert or update the row whose `key_column` equals `key`; returns it."""
    row = session.exec(select(model).where(getattr(model, key_column) == key)).first()
    if row is None:
        row = model(**{key_column: key})
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


def load(
    session: Session, seed_dir: Path = SEED_DIR, *, today: date, progress: bool = False
) -> SeedCounts:
    """Load organisations, demo users, scenarios and capabilities from `seed_dir`, their
    dates as of `today` (the load day, in China)."""
    orgs: dict[str, Organisation] = {}
    for raw in json.loads((seed_dir / "organisations.json").read_text(encoding="utf-8")):
        data = Organisation.model_validate(raw).model_dump(exclude={"id"})
        data["verified"] = raw.get("verified", True)
        orgs[raw["key"]] = _upsert(session, Organisation, "key", raw["key"], data)
    session.flush()

    users = json.loads((seed_dir / "users.json").read_text(encoding="utf-8"))
    for raw in users:
        existing = session.exec(select(User).where(User.email == raw["email"])).first()
        role = ROLE_OF.get(raw["role"], Role.org_admin if raw.get("is_org_admin") else Role.member)
        if existing is None:
            session.add(
                User(
                    email=raw["email"],
                    name=raw["name"],
                    role=role,
                    organisation_id=orgs[raw["org"]].id,
                    password_hash=generate_password_hash(raw["password"]),
                )
            )

    batches: dict[str, Batch] = {}
    counts = {}
    lists = {
        model: list(_jsonl(seed_dir / filename))
        for model, filename in ((Scenario, "scenarios.jsonl"), (Capability, "capabilities.jsonl"))
    }
    calendar = Calendar.of(lists[Scenario], today=today)
    for model, rows in lists.items():
        label = click.style(f"{model.__tablename__:<12}", bold=True)
        with click.progressbar(rows, label=label, hidden=not progress) as bar:
            for raw in bar:
                counts[model] = counts.get(model, 0) + 1
                _load_entry(session, model, raw, orgs, batches, calendar)
    session.commit()
    return SeedCounts(len(orgs), len(users), counts.get(Scenario, 0), counts.get(Capability, 0))


def _load_entry(
    session: Session,
    model: type[Scenario] | type[Capability],
    raw: dict[str, Any],
    orgs: dict[str, Organisation],
    batches: dict[str, Batch],
    calendar: Calendar,
) -> None:
    fields = {k: v for k, v in raw.items() if k in model.model_fields and k not in {"id"}}
    if isinstance(fields.get("deadline"), str):
        fields["deadline"] = calendar.deadline(fields["deadline"])
    entry = model.model_validate({**fields, "organisation_id": orgs[raw["org"]].id})
    values = entry.model_dump(
        exclude={"id", "code", "created_at", "updated_at", "tokens", "search_text", "search_terms"}
    )
    # Only a published entry is in a batch (as in the app, where a batch takes published
    # entries only): the lists name a batch for drafts and submissions too, the one meant.
    published = raw.get("status") == "published"
    batch = _batch(session, raw.get("batch"), batches, calendar) if published else None
    values["batch_id"] = batch.id if batch else None
    if published:
        # Published with its batch; an entry in no batch was published when it was loaded.
        values["published_at"] = batch.published_at if batch else utcnow()
    row = _upsert(session, model, "code", raw["id"], values)
    # The search text is cheap and follows the entry's text on every run; the matcher
    # tokens (segmentation takes a while) only when missing.
    index_search(row)
    if not row.tokens:
        index_entry(row)
