"""Helpers for the import, export and dashboard stories: entries, pairings, docking steps and
spreadsheets built the way a user's Excel would be."""

import io
from datetime import date
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlmodel import Session

from matchmaker.entries.indexing import index_entry
from models import (
    Batch,
    BatchStatus,
    Capability,
    DockingEvent,
    DockingStage,
    Organisation,
    Recommendation,
    RecommendationStatus,
    Scenario,
    User,
)
from support import post

DESCRIPTION = "面向政务服务大厅的材料识别、核验与自动预审，覆盖身份证件和营业执照等常见材料。"


def _make_entry(session: Session, model: type, defaults: dict[str, Any], **values: Any) -> Any:
    entry = model.model_validate(
        {"description": DESCRIPTION, "status": "published", **defaults, **values}
    )
    index_entry(entry)
    session.add(entry)
    session.commit()
    return entry


def make_scenario(session: Session, org: Organisation, **values: Any) -> Scenario:
    """A scenario of `org` (published unless told otherwise)."""
    defaults = {"title": "政务大厅材料智能预审", "field": "智慧政务", "district": "渝北区"}
    return _make_entry(session, Scenario, {**defaults, "organisation_id": org.id}, **values)


def make_capability(session: Session, org: Organisation, **values: Any) -> Capability:
    """A capability of `org` (published unless told otherwise)."""
    defaults = {"title": "证照OCR识别平台", "field": "人工智能", "district": "两江新区"}
    return _make_entry(session, Capability, {**defaults, "organisation_id": org.id}, **values)


def make_batch(session: Session, name: str = "2024年第一批", number: int = 1) -> Batch:
    """A published batch."""
    batch = Batch(name=name, year=2024, number=number, status=BatchStatus.published)
    session.add(batch)
    session.commit()
    return batch


def make_pairing(
    session: Session,
    scenario: Scenario,
    capability: Capability,
    status: RecommendationStatus = RecommendationStatus.recommended,
    **values: Any,
) -> Recommendation:
    """A pairing of `scenario` and `capability` in `status`."""
    pairing = Recommendation(
        scenario_id=scenario.id,
        capability_id=capability.id,
        status=status,
        **{"score": 0.5, **values},
    )
    session.add(pairing)
    session.commit()
    return pairing


def record_step(
    session: Session,
    pairing: Recommendation,
    user: User,
    stage: DockingStage,
    *,
    on: date = date(2024, 5, 1),
    amount: float | None = None,
) -> DockingEvent:
    """A docking step on `pairing`, recorded by `user`."""
    event = DockingEvent(
        recommendation_id=pairing.id,
        stage=stage,
        occurred_on=on,
        contract_amount_wan=amount,
        user_id=user.id,
        organisation_id=user.organisation_id,
    )
    session.add(event)
    session.commit()
    return event


def xlsx(rows: list[list[Any]]) -> bytes:
    """A workbook whose first sheet holds `rows` (the first one being the header row)."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(data: bytes, sheet: int = 0) -> list[tuple]:
    """The rows of one sheet of a downloaded workbook."""
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(workbook.worksheets[sheet].iter_rows(values_only=True))
    workbook.close()
    return rows


def upload(client: Any, kind: str, data: bytes, filename: str) -> Any:
    """Upload a spreadsheet on the import page, as the browser's form does."""
    return post(client, f"/io/import/{kind}", {"file": (io.BytesIO(data), filename)})
