"""A platform that has been in use for a while, arranged through the app's own forms.

Officials have approved and rejected pairings and published a batch, both parties of a
published pairing have recorded docking steps, a firm has expressed interest, a buyer has a
scenario waiting for review: every main page then has something to show.
"""

from datetime import datetime
from typing import NamedTuple

from flask.testing import FlaskClient
from posting_data import Lists, matched_lists, official, sign_in
from sqlmodel import Session, col, select

from models import Batch, Capability, OrgKind, Recommendation, Role, User
from pairings import LOCAL
from support import make_org, make_user, post


class Platform(NamedTuple):
    lists: Lists
    desk: User  # the official who decided and published
    admin: User
    buyer: User  # of the published pairing's scenario
    seller: User  # of the published pairing's capability
    pairing: Recommendation  # published, with docking steps
    batch: Batch  # published


def ranked(session: Session, scenario_id: int) -> list[Recommendation]:
    """The recommendations of one scenario, best first."""
    session.expire_all()
    stmt = select(Recommendation).where(Recommendation.scenario_id == scenario_id)
    return list(session.exec(stmt.order_by(col(Recommendation.score).desc())))


def decide(desk: FlaskClient, rec: Recommendation, decision: str, note: str = "") -> None:
    """An official's decision through the review form."""
    answer = post(
        desk,
        f"/review/recommendations/{rec.id}/decision",
        {"decision": decision, "note": note, "version": rec.version},
    )
    assert answer.status_code in (200, 303), answer.status_code


def publish_batch(session: Session, desk: FlaskClient, pairing_ids: list[int]) -> Batch:
    """Open a batch, put the approved pairings in and publish it, as an official would."""
    edit_url = post(desk, "/batches/new", {"year": "2023", "number": "1"}).location
    batch_id = int(edit_url.strip("/").split("/")[-2])
    batch = session.get(Batch, batch_id)
    post(desk, f"/batches/{batch_id}/items", {"version": batch.version, "pairing": pairing_ids})
    session.expire_all()
    batch = session.get(Batch, batch_id)
    post(desk, f"/batches/{batch_id}/publish", {"version": batch.version})
    session.expire_all()
    return session.get(Batch, batch_id)


def record_step(party: FlaskClient, rec_id: int, stage: str, **fields: str) -> None:
    """A party records a docking step through the timeline form."""
    data = {"stage": stage, "occurred_on": datetime.now(LOCAL).date().isoformat(), **fields}
    answer = post(party, f"/docking/{rec_id}/steps", data)
    assert answer.status_code in (200, 302, 303), answer.get_data(as_text=True)[:500]


def platform_in_use(app, session: Session) -> Platform:
    """Matched lists, decisions, a published batch, docking steps, interest, a waiting entry."""
    lists = matched_lists(app, session)
    desk_user = official(session)
    admin = make_user(
        session, make_org(session, OrgKind.authority, name="平台运维中心"), role=Role.admin
    )
    desk = sign_in(app, desk_user)
    best, second, third = ranked(session, lists.scenarios[0].id)[:3]
    decide(desk, best, "approve")
    decide(desk, second, "approve")
    decide(desk, third, "reject", "与场景需求不符")
    batch = publish_batch(session, desk, [best.id])

    buyer = session.exec(select(User).where(User.organisation_id == lists.government.id)).first()
    firm_id = session.get(Capability, best.capability_id).organisation_id
    seller = next(u for u in lists.firm_users if u.organisation_id == firm_id)
    buying, selling = sign_in(app, buyer), sign_in(app, seller)
    record_step(buying, best.id, "contacted", note="首次电话沟通需求")
    record_step(selling, best.id, "negotiating", note="提交技术方案与报价")

    # A firm expresses interest in the other buyer's scenario.
    other_seller = next(u for u in lists.firm_users if u.id != seller.id)
    invoice = lists.scenarios[1]
    own = next(c for c in lists.capabilities if c.organisation_id == other_seller.organisation_id)
    post(
        sign_in(app, other_seller),
        f"/interest/scenarios/{invoice.id}",
        {"capability": own.id, "message": "我们有同类项目经验"},
    )
    # The buyer of that scenario has a new one waiting for review.
    group_user = session.exec(select(User).where(User.organisation_id == lists.group.id)).first()
    post(
        sign_in(app, group_user),
        "/scenarios/new",
        {
            "title": "集团安全生产视频智能巡检",
            "description": "集团下属电厂需要对生产区域监控视频进行智能分析，识别未戴安全帽等违规行为。",
            "field": "人工智能",
            "district": "南岸区",
            "send": "1",
        },
    )
    post(desk, "/account/tokens", {"name": "ERP 同步"})
    session.expire_all()
    return Platform(
        lists, desk_user, admin, buyer, seller, session.get(Recommendation, best.id), batch
    )
