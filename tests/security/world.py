"""A small platform for the security stories: two organisations of each side, officials, and
objects of every kind, so that each route has ids of one's own and of somebody else.

Organisations "A" are the actors' own; organisations "B" are the others, whose objects the
actors must not reach. Rows are made directly (one password hash for everyone) so that a fresh
world per test stays cheap.
"""

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from evidence_files import pdf
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, SQLModel
from werkzeug.security import generate_password_hash

from matchmaker.alerts import digest
from matchmaker.api import tokens
from matchmaker.entries.indexing import index_entry
from matchmaker.evidence import files as evidence_files
from matchmaker.spreadsheets import imports
from matchmaker.spreadsheets.files import LAYOUTS, ORGANISATION_COLUMN, Table
from models import (
    Batch,
    BatchStatus,
    Capability,
    DockingEvent,
    DockingStage,
    Evidence,
    Interest,
    JoinRequest,
    Notification,
    Organisation,
    OrgKind,
    Recommendation,
    RecommendationStatus,
    Role,
    SavedSearch,
    Scenario,
    User,
)
from models._types import utcnow
from support import PASSWORD, make_credit_code

PASSWORD_HASH = generate_password_hash(PASSWORD)
ACTORS = ("anonymous", "demand", "supply", "official", "admin", "disabled")


@dataclass
class Actor:
    """Who makes a request: a role, the side of their organisation, their user row."""

    name: str
    user_id: int | None = None
    role: Role | None = None
    side: OrgKind | None = None
    active: bool = True
    token: str | None = None  # an API token issued to them (while still active)

    @property
    def signed_in(self) -> bool:
        """True for an account whose session is still honoured."""
        return self.user_id is not None and self.active

    @property
    def staff(self) -> bool:
        """True for officials and admins."""
        return self.role in (Role.official, Role.admin)


@dataclass
class World:
    """Every id the stories need, by what it is and whose it is."""

    actors: dict[str, Actor]
    orgs: dict[str, int]
    users: dict[str, int]
    scenarios: dict[str, int]  # a_draft, a_submitted, a_published, b_draft, b_published
    capabilities: dict[str, int]  # the same keys
    batches: dict[str, int]  # published, draft
    pairings: dict[str, int]  # a (published, A's parties), b (published, B's), open (awaiting)
    steps: dict[str, int]  # a (on pairing a, recorded by the demand actor's organisation)
    interests: dict[str, int]  # a (in A's scenario), b (in B's scenario)
    notifications: dict[str, int]  # one per user name
    api_tokens: dict[str, int]  # ApiToken ids, one per user name
    secrets: dict[str, str]  # the API tokens themselves, one per user name
    uploads: dict[str, str]  # import stash tokens, one per user name
    join_requests: dict[str, int] = field(default_factory=dict)  # b: a request to join B
    # One private saved search per user name, and "public": demand_b's search made public.
    saved_searches: dict[str, int] = field(default_factory=dict)
    unsubscribe: dict[str, str] = field(default_factory=dict)  # signed links, per user name
    evidence: dict[str, int] = field(default_factory=dict)  # a, b: each firm's waiting file


def _org(session: Session, key: str, kind: OrgKind, name: str) -> Organisation:
    org = Organisation(
        name=name,
        kind=kind,
        credit_code=make_credit_code(),
        district="渝北区",
        verified=True,
        key=key,
    )
    session.add(org)
    return org


def _user(session: Session, name: str, org: Organisation, role: Role) -> User:
    user = User(
        email=f"{name}@example.cn",
        name=name,
        role=role,
        organisation_id=org.id,
        password_hash=PASSWORD_HASH,
    )
    session.add(user)
    return user


SCENARIO_FIELDS: dict[str, Any] = {
    "title": "政务大厅材料智能预审",
    "summary": "自助大厅材料识别与预审",
    "description": "24小时自助政务大厅需要对申请人提交的材料进行OCR识别和自动预审，减少退件。",
    "field": "智慧政务",
    "district": "渝北区",
    "tags": ["OCR"],
    "problem": "人工预审排队久，退件率高。",
    "expected_outcome": "退件率下降一半。",
    "budget_min_wan": 50.0,
    "budget_max_wan": 120.0,
    "deadline": date(2030, 6, 30),
    "contact_name": "王科长",
    "contact_phone": "023-67000000",
}
CAPABILITY_FIELDS: dict[str, Any] = {
    "title": "证照OCR识别平台",
    "description": "基于深度学习的文字识别，支持证照、票据和手写体，准确率99%以上。",
    "field": "人工智能",
    "district": "两江新区",
    "tags": ["OCR"],
    "products": ["慧识OCR"],
    "cases": ["某区政务中心，2023年"],
    "qualifications": ["高新技术企业"],
}


def make_entry(
    session: Session,
    model: type[Scenario] | type[Capability],
    org: Organisation,
    status: str,
    **values: Any,
) -> Any:
    """A scenario or capability of `org` with a full, valid description, in `status`."""
    defaults = SCENARIO_FIELDS if model is Scenario else CAPABILITY_FIELDS
    title = f"{defaults['title']} {org.key} {status}"
    entry = model(**{**defaults, "title": title, **values}, organisation_id=org.id)
    entry.status = model.model_fields["status"].annotation(status)
    if status in ("published", "closed"):
        entry.published_at = utcnow() - timedelta(days=40)
    index_entry(entry)
    session.add(entry)
    return entry


def build(app: Flask, session: Session) -> World:
    """Create the world in the app's database (its schema already exists)."""
    orgs = {
        "authority": _org(session, "authority", OrgKind.authority, "重庆市经济和信息化委员会"),
        "demand_a": _org(session, "demand_a", OrgKind.demand, "重庆甲集团有限公司"),
        "supply_a": _org(session, "supply_a", OrgKind.supply, "重庆甲软件有限公司"),
        "demand_b": _org(session, "demand_b", OrgKind.demand, "重庆乙集团有限公司"),
        "supply_b": _org(session, "supply_b", OrgKind.supply, "重庆乙软件有限公司"),
    }
    session.flush()
    users = {
        "demand": _user(session, "demand", orgs["demand_a"], Role.member),
        "supply": _user(session, "supply", orgs["supply_a"], Role.member),
        "official": _user(session, "official", orgs["authority"], Role.official),
        "admin": _user(session, "admin", orgs["authority"], Role.admin),
        "disabled": _user(session, "disabled", orgs["demand_a"], Role.member),
        "demand_b": _user(session, "demand_b", orgs["demand_b"], Role.org_admin),
        "supply_b": _user(session, "supply_b", orgs["supply_b"], Role.org_admin),
    }
    scenarios = {
        key: make_entry(session, Scenario, orgs[f"demand_{key[0]}"], key[2:])
        for key in ("a_draft", "a_submitted", "a_published", "b_draft", "b_published")
    }
    capabilities = {
        key: make_entry(session, Capability, orgs[f"supply_{key[0]}"], key[2:])
        for key in ("a_draft", "a_submitted", "a_published", "b_draft", "b_published")
    }
    published_at = utcnow() - timedelta(days=35)
    batches = {
        "published": Batch(
            name="2024年第一批",
            year=2024,
            number=1,
            status=BatchStatus.published,
            published_at=published_at,
        ),
        "draft": Batch(name="2024年第二批", year=2024, number=2),
    }
    session.add_all(batches.values())
    session.flush()

    def pairing(scenario: str, capability: str, status: RecommendationStatus, **values: Any):
        rec = Recommendation(
            scenario_id=scenarios[scenario].id,
            capability_id=capabilities[capability].id,
            score=0.72,
            parts={"text": 0.5, "field": 0.05},
            terms=[["ocr", 0.4]],
            matched_tags=["OCR"],
            reasons=[["same_district", "渝北区"]],
            status=status,
            **values,
        )
        session.add(rec)
        return rec

    published = {"batch_id": batches["published"].id, "updated_at": published_at}
    pairings = {
        "a": pairing("a_published", "a_published", RecommendationStatus.published, **published),
        "b": pairing("b_published", "b_published", RecommendationStatus.published, **published),
        "open": pairing("a_submitted", "b_published", RecommendationStatus.recommended),
    }
    session.flush()
    steps = {
        "a": DockingEvent(
            recommendation_id=pairings["a"].id,
            stage=DockingStage.contacted,
            occurred_on=date.today() - timedelta(days=30),
            note="已电话联系",
            user_id=users["demand"].id,
            organisation_id=orgs["demand_a"].id,
        )
    }
    session.add_all(steps.values())
    interests = {
        "a": Interest(
            scenario_id=scenarios["a_published"].id,
            organisation_id=orgs["supply_b"].id,
            capability_id=capabilities["b_published"].id,
            user_id=users["supply_b"].id,
            message="我们做过类似项目",
        ),
        "b": Interest(
            scenario_id=scenarios["b_published"].id,
            organisation_id=orgs["supply_a"].id,
            capability_id=capabilities["a_published"].id,
            user_id=users["supply"].id,
        ),
    }
    session.add_all(interests.values())
    notifications = {
        name: Notification(
            user_id=user.id,
            kind="entry.published",
            params={"title": "一条场景"},
            link=f"/scenarios/{scenarios['a_published'].id}",
        )
        for name, user in users.items()
    }
    session.add_all(notifications.values())
    join_requests = {
        "b": JoinRequest(
            organisation_id=orgs["demand_b"].id,
            email="newcomer@example.cn",
            name="newcomer",
            password_hash=PASSWORD_HASH,
        )
    }
    session.add_all(join_requests.values())
    saved_searches = {
        name: SavedSearch(user_id=user.id, name=f"{name}的搜索", q="OCR")
        for name, user in users.items()
    }
    saved_searches["public"] = SavedSearch(
        user_id=users["demand_b"].id, name="公开的搜索", q="平台", public=True
    )
    session.add_all(saved_searches.values())
    # Each firm's certificate for its 高新技术企业 claim, waiting for an official, on disk.
    folder = Path(app.config["EVIDENCE_DIR"])
    evidence = {}
    for key in ("a", "b"):
        stored = evidence_files.receive(io.BytesIO(pdf()), folder)
        evidence[key] = Evidence(
            organisation_id=orgs[f"supply_{key}"].id,
            claim="高新技术企业",
            filename="证书.pdf",
            uploaded_by_id=users["supply" if key == "a" else "supply_b"].id,
            **stored._asdict(),
        )
    session.add_all(evidence.values())
    session.commit()

    secrets = {name: tokens.issue(session, user=user, name="测试") for name, user in users.items()}
    uploads = {}
    for name, user in users.items():
        kind = "capabilities" if name.startswith("supply") else "scenarios"
        headers = [column.header for column in LAYOUTS[kind].columns]
        if user.role in (Role.official, Role.admin):
            headers.append(ORGANISATION_COLUMN.header)  # officials import for organisations
        uploads[name] = imports.stash(
            app.instance_path,
            kind=kind,
            filename="list.csv",
            table=Table(headers, []),
            user_id=user.id,
        )
    # The disabled account had a session and a token before an admin disabled it.
    users["disabled"].is_active = False
    session.commit()

    actors = {"anonymous": Actor("anonymous")}
    for name in ("demand", "supply", "official", "admin", "disabled"):
        user = users[name]
        org = session.get(Organisation, user.organisation_id)
        actors[name] = Actor(
            name,
            user_id=user.id,
            role=user.role,
            side=org.kind,
            active=user.is_active,
            token=secrets[name].secret,
        )
    return World(
        actors=actors,
        orgs={key: org.id for key, org in orgs.items()},
        users={key: user.id for key, user in users.items()},
        scenarios={key: s.id for key, s in scenarios.items()},
        capabilities={key: c.id for key, c in capabilities.items()},
        batches={key: b.id for key, b in batches.items()},
        pairings={key: p.id for key, p in pairings.items()},
        steps={key: e.id for key, e in steps.items()},
        interests={key: i.id for key, i in interests.items()},
        notifications={key: n.id for key, n in notifications.items()},
        api_tokens={key: issued.token.id for key, issued in secrets.items()},
        secrets={key: issued.secret for key, issued in secrets.items()},
        uploads=uploads,
        join_requests={key: j.id for key, j in join_requests.items()},
        saved_searches={key: s.id for key, s in saved_searches.items()},
        unsubscribe={
            name: digest.unsubscribe_token(app.secret_key, users[name].id, [search.id])
            for name, search in saved_searches.items()
            if name in users
        },
        evidence={key: e.id for key, e in evidence.items()},
    )


def client_for(app: Flask, session: Session, actor: Actor) -> FlaskClient:
    """A browser signed in as `actor` (its session as the login form leaves it), or anonymous.

    The session id carries the account's current session version, read afresh, so that a
    story's earlier sign-out does not leak into the next request.
    """
    client = app.test_client()
    # Each visitor from an address of their own, as real ones are (the login limit counts
    # per address).
    client.environ_base["REMOTE_ADDR"] = f"10.0.0.{ACTORS.index(actor.name) + 1}"
    if actor.user_id is not None:
        session.expire_all()
        user = session.get(User, actor.user_id)
        with client.session_transaction() as cookie:
            cookie["_user_id"] = user.get_id()
            cookie["_fresh"] = True
    return client


def snapshot(session: Session) -> dict[str, list[tuple]]:
    """Every row of every table, for "nothing changed" checks (API token use times aside)."""
    session.expire_all()
    rows = {}
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name != "last_used_at"]
        result = session.connection().execute(table.select().with_only_columns(*columns))
        rows[table.name] = sorted(map(tuple, result), key=repr)
    session.rollback()
    return rows


__all__ = ["ACTORS", "Actor", "World", "build", "client_for", "snapshot"]
