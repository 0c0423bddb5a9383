"""Helpers the API stories share: entries as the lists hold them, tokens, JSON calls."""

from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session

from matchmaker.api import tokens
from matchmaker.entries.indexing import index_entry
from models import (
    Batch,
    BatchStatus,
    Capability,
    CapabilityStatus,
    Organisation,
    Recommendation,
    Scenario,
    ScenarioStatus,
    User,
)
from models._types import utcnow

PROBLEM = "application/problem+json"


def make_scenario(session: Session, org: Organisation, **values: Any) -> Scenario:
    """A scenario of `org`, published unless told otherwise."""
    data = {
        "title": "政务大厅材料智能预审",
        "summary": "自助大厅材料识别与预审",
        "description": "24小时自助政务大厅需要对申请人提交的材料进行OCR识别和自动预审，减少退件。",
        "field": "智慧政务",
        "district": "渝北区",
        "tags": ["OCR", "身份核验"],
        "problem": "人工预审排队久，退件率高。",
        "budget_min_wan": 50.0,
        "budget_max_wan": 120.0,
        "deadline": date(2030, 6, 30),
        "contact_name": "王科长",
        "contact_phone": "023-67000000",
        "status": ScenarioStatus.published,
        "organisation_id": org.id,
        **values,
    }
    scenario = Scenario(**data)
    if scenario.status != ScenarioStatus.draft and "published_at" not in values:
        scenario.published_at = utcnow()
    index_entry(scenario)
    session.add(scenario)
    session.commit()
    return scenario


def make_capability(session: Session, org: Organisation, **values: Any) -> Capability:
    """A capability of `org`, published unless told otherwise."""
    data = {
        "title": "证照OCR识别平台",
        "description": "基于深度学习的文字识别，支持证照、票据和手写体，准确率99%以上。",
        "field": "人工智能",
        "district": "两江新区",
        "tags": ["OCR"],
        "products": ["慧识OCR"],
        "qualifications": ["高新技术企业"],
        "status": CapabilityStatus.published,
        "organisation_id": org.id,
        **values,
    }
    capability = Capability(**data)
    if capability.status == CapabilityStatus.published and "published_at" not in values:
        capability.published_at = utcnow()
    index_entry(capability)
    session.add(capability)
    session.commit()
    return capability


def make_batch(session: Session, *, number: int = 1, published: bool = True) -> Batch:
    """A batch of 2024, published unless told otherwise."""
    batch = Batch(
        name=f"2024年第{number}批",
        year=2024,
        number=number,
        status=BatchStatus.published if published else BatchStatus.draft,
        published_at=utcnow() if published else None,
    )
    session.add(batch)
    session.commit()
    return batch


def token_for(session: Session, user: User, name: str = "测试") -> str:
    """A fresh API token of `user` (the secret, as its owner copied it from the page)."""
    return tokens.issue(session, user=user, name=name).secret


def bearer(secret: str) -> dict[str, str]:
    """The header that authenticates an API call."""
    return {"Authorization": f"Bearer {secret}"}


def call(client: FlaskClient, method: str, url: str, secret: str | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    """Call the API as a program would: JSON in, no cookies needed, optionally a token."""
    headers = {**(bearer(secret) if secret else {}), **kwargs.pop("headers", {})}
    return client.open(url, method=method, headers=headers, **kwargs)


def make_recommendation(
    session: Session, scenario: Scenario, capability: Capability, **values: Any
) -> Recommendation:
    """A pairing the matcher recommended, with an explanation, awaiting an official."""
    explained = {
        "terms": [["ocr", 0.4], ["预审", 0.2]],
        "matched_tags": ["OCR"],
        "reasons": [["same_field", scenario.field]],
    }
    rec = Recommendation(
        scenario_id=scenario.id,
        capability_id=capability.id,
        score=0.72,
        parts={"text": 0.5, "field": 0.05},
        **(explained | values),
    )
    session.add(rec)
    session.commit()
    return rec
