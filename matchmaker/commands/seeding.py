"""Load the seed lists (seed/data) into the database; running it again changes nothing."""

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import click
from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from matchmaker.entries.indexing import index_entry, search_text
from models import Batch, BatchStatus, Capability, Organisation, Role, Scenario, User
from models._types import utcnow

SEED_DIR = Path(__file__).resolve().parents[2] / "seed" / "data"
BATCH_NAME = re.compile(r"^(\d{4})年第([一二三四五六七八九十])批$")
CHINESE_NUMBERS = "一二三四五六七八九十"
ROLE_OF = {"admin": Role.admin, "official": Role.official}


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


def _batch(session: Session, name: str | None, cache: dict[str, Batch]) -> int | None:
    """The id of the batch called `name` (e.g. 2022年第一批), created and published if new."""
    if not name:
        return None
    if name not in cache:
        batch = session.exec(select(Batch).where(Batch.name == name)).first()
        if batch is None:
            match = BATCH_NAME.match(name)
            year, number = (int(match[1]), CHINESE_NUMBERS.index(match[2]) + 1) if match else (0, 1)
            batch = Batch(
                name=name,
                year=year,
                number=number,
                status=BatchStatus.published,
                published_at=utcnow(),
            )
            session.add(batch)
            session.flush()
        cache[name] = batch
    return cache[name].id


def _upsert(session: Session, model: type, key_column: str, key: str, values: dict[str, Any]):
    """Insert or update the row whose `key_column` equals `key`; returns it."""
    row = session.exec(select(model).where(getattr(model, key_column) == key)).first()
    if row is None:
        row = model(**{key_column: key})
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


def load(session: Session, seed_dir: Path = SEED_DIR, *, progress: bool = False) -> SeedCounts:
    """Load organisations, demo users, scenarios and capabilities from `seed_dir`."""
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
    for model, filename in ((Scenario, "scenarios.jsonl"), (Capability, "capabilities.jsonl")):
        rows = list(_jsonl(seed_dir / filename))
        label = click.style(f"{model.__tablename__:<12}", bold=True)
        with click.progressbar(rows, label=label, hidden=not progress) as bar:
            for raw in bar:
                counts[model] = counts.get(model, 0) + 1
                _load_entry(session, model, raw, orgs, batches)
    session.commit()
    return SeedCounts(len(orgs), len(users), counts.get(Scenario, 0), counts.get(Capability, 0))


def _load_entry(
    session: Session,
    model: type[Scenario] | type[Capability],
    raw: dict[str, Any],
    orgs: dict[str, Organisation],
    batches: dict[str, Batch],
) -> None:
    fields = {k: v for k, v in raw.items() if k in model.model_fields and k not in {"id"}}
    if isinstance(fields.get("deadline"), str):
        fields["deadline"] = date.fromisoformat(fields["deadline"])
    entry = model.model_validate({**fields, "organisation_id": orgs[raw["org"]].id})
    values = entry.model_dump(
        exclude={"id", "code", "created_at", "updated_at", "tokens", "search_text"}
    )
    values["batch_id"] = _batch(session, raw.get("batch"), batches)
    if raw.get("status") == "published":
        values["published_at"] = utcnow()
    row = _upsert(session, model, "code", raw["id"], values)
    # The search text is cheap and follows the entry's text on every run; the matcher
    # tokens (segmentation takes a while) only when missing.
    row.search_text = search_text(row)
    if not row.tokens:
        index_entry(row)
