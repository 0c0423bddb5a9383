"""Story helpers for the follow-up tests: published scenarios, capabilities and pairings."""

from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models import (
    Batch,
    BatchStatus,
    Capability,
    CapabilityStatus,
    Organisation,
    OrgKind,
    Recommendation,
    RecommendationStatus,
    Scenario,
    ScenarioStatus,
    User,
)
from support import make_org, make_user

_numbers = iter(range(1, 1_000_000))
LOCAL = ZoneInfo("Asia/Shanghai")  # the app's BABEL_DEFAULT_TIMEZONE


class PublishedPairing(NamedTuple):
    demand: Organisation
    buyer: User
    supply: Organisation
    seller: User
    scenario: Scenario
    capability: Capability
    pairing: Recommendation
    batch: Batch


def days_ago(days: int) -> datetime:
    """Noon, `days` local (Chongqing) calendar days ago, as an aware UTC time."""
    local_noon = datetime.now(LOCAL).replace(hour=12, minute=0, second=0, microsecond=0)
    return (local_noon - timedelta(days=days)).astimezone(UTC)


def make_scenario(
    session: Session,
    org: Organisation,
    *,
    title: str = "医院影像智能辅助诊断",
    status: ScenarioStatus = ScenarioStatus.published,
) -> Scenario:
    """A scenario of `org`, published unless told otherwise."""
    scenario = Scenario(
        title=title,
        description="三甲医院需要对CT影像进行智能辅助诊断，减少漏诊并提升阅片效率。",
        field="智慧医疗",
        district="渝中区",
        organisation_id=org.id,
        status=status,
        published_at=days_ago(60) if status == ScenarioStatus.published else None,
    )
    session.add(scenario)
    session.commit()
    return scenario


def make_capability(
    session: Session,
    org: Organisation,
    *,
    title: str = "医学影像AI辅助诊断系统",
    qualifications: list[str] | None = None,
    status: CapabilityStatus = CapabilityStatus.published,
) -> Capability:
    """A capability of `org`, published unless told otherwise."""
    capability = Capability(
        title=title,
        description="基于深度学习的CT与核磁影像病灶检测，已在多家三甲医院落地应用。",
        field="智慧医疗",
        district="两江新区",
        organisation_id=org.id,
        qualifications=qualifications or [],
        status=status,
        published_at=days_ago(60) if status == CapabilityStatus.published else None,
    )
    session.add(capability)
    session.commit()
    return capability


def make_published_pairing(
    session: Session, *, published_days_ago: int = 10, scenario_title: str = "医院影像智能辅助诊断"
) -> PublishedPairing:
    """Two verified parties, their published entries, and their pairing published in a batch."""
    number = next(_numbers)
    demand = make_org(session, OrgKind.demand, name=f"重庆市第{number}人民医院")
    supply = make_org(session, OrgKind.supply, name=f"重庆第{number}智能科技有限公司")
    buyer, seller = make_user(session, demand), make_user(session, supply)
    scenario = make_scenario(session, demand, title=scenario_title)
    capability = make_capability(session, supply)
    batch = Batch(
        name=f"2024年第{number}批",
        year=2024,
        number=number % 99 + 1,
        status=BatchStatus.published,
        published_at=days_ago(published_days_ago),
    )
    session.add(batch)
    session.commit()
    pairing = Recommendation(
        scenario_id=scenario.id,
        capability_id=capability.id,
        score=0.8,
        status=RecommendationStatus.published,
        batch_id=batch.id,
        updated_at=days_ago(published_days_ago),
    )
    session.add(pairing)
    session.commit()
    return PublishedPairing(demand, buyer, supply, seller, scenario, capability, pairing, batch)
