"""Every state-changing route writes exactly one audit row, and no route touches the old ones.

The walk below is a list of user actions, one per POST/PUT/PATCH/DELETE endpoint of the app (web
forms and the JSON API): who acts, the story arranged for them, the request, and the audit row it
must leave (a bulk decision of N pairings: N rows, one per pairing decided). A route that changes
no stored object is listed in NOT_STATE_CHANGES with the reason, and walked too, to show that it
writes no row and which columns it may touch. A new mutating route in neither list fails the
first test, so it cannot ship without its audit row. Before every request the trail already
holds rows; they must come out of it unchanged (the trail is append-only).
"""

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest
from evidence_files import pdf as evidence_pdf
from flask import Flask
from listdata import make_capability, make_pairing, make_scenario, xlsx
from posting_data import (
    OCR_CAPABILITY,
    OCR_CAPABILITY_ROW,
    OCR_SCENARIO,
    OCR_SCENARIO_ROW,
    member_of,
    official,
    sign_in,
)
from sqlalchemy import select
from sqlmodel import Session, SQLModel
from test_import import SCENARIO_HEADERS, scenario_row

from matchmaker.alerts import digest
from matchmaker.api import tokens
from matchmaker.auth import resets
from matchmaker.evidence import operations as evidence_operations
from matchmaker.spreadsheets import imports
from matchmaker.spreadsheets.files import read_table
from models import (
    ApiToken,
    AuditEntry,
    Batch,
    Capability,
    ClaimKind,
    DockingEvent,
    Evidence,
    Interest,
    JoinRequest,
    Notification,
    Organisation,
    OrgKind,
    RecommendationStatus,
    Role,
    SavedSearch,
    Scenario,
)
from models._types import utcnow
from pairings import LOCAL, make_published_pairing
from support import PASSWORD, make_credit_code, make_org, make_user, post

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
VISITOR = "a visitor"  # the actor of a request made without signing in


# ----- how a walk is written ---------------------------------------------------------------


class New(NamedTuple):
    """The one row of `model` that the request itself creates (its id is known afterwards)."""

    model: type[SQLModel]


class Audit(NamedTuple):
    """An audit row the request must write: its action, on an object of the story or a new one."""

    action: str
    on: str | New  # a name from the arranged story, or New(Model)


class Form(NamedTuple):
    """A browser's form post, with the session's CSRF token (`support.post`)."""

    url: str
    data: dict[str, Any]
    status: int = 302


class Api(NamedTuple):
    """A program's JSON call, with a bearer token of the actor."""

    method: str
    url: str
    json: dict[str, Any]
    status: int = 200


Story = SimpleNamespace
Arrange = Callable[[Flask, Session], dict[str, Any]]


class Walk(NamedTuple):
    endpoint: str
    actor: str  # a name in the story, or VISITOR
    arrange: Arrange
    request: Callable[[Story], Form | Api]
    audit: list[Audit]  # what the request writes to the trail


# ----- the stories the actions need (each one small) ----------------------------------------


def nobody(app: Flask, session: Session) -> dict[str, Any]:
    return {}


def a_member(app: Flask, session: Session) -> dict[str, Any]:
    return {"member": member_of(session, OrgKind.supply, "重庆星河软件有限公司")}


def a_buyer(app: Flask, session: Session) -> dict[str, Any]:
    return {"buyer": member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")}


def a_firm(app: Flask, session: Session) -> dict[str, Any]:
    return {"firm": member_of(session, OrgKind.supply, "重庆星河软件有限公司")}


def an_official(app: Flask, session: Session) -> dict[str, Any]:
    return {"official": official(session)}


def a_members_token(app: Flask, session: Session) -> dict[str, Any]:
    member = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    return {"member": member, "token": tokens.issue(session, user=member, name="ERP 同步").token}


def an_unverified_organisation(app: Flask, session: Session) -> dict[str, Any]:
    newcomer = make_org(session, OrgKind.supply, verified=False, name="重庆新来科技有限公司")
    return {"official": official(session), "newcomer": newcomer}


def an_admin_and_a_member(app: Flask, session: Session) -> dict[str, Any]:
    authority = make_org(session, OrgKind.authority, name="重庆市经济和信息化委员会")
    member = make_user(session, make_org(session, OrgKind.supply), role=Role.member)
    return {"admin": make_user(session, authority, role=Role.admin), "member": member}


def a_reset_link(app: Flask, session: Session) -> dict[str, Any]:
    story = an_admin_and_a_member(app, session)
    issued = resets.issue(session, user=story["member"], by_user_id=story["admin"].id)
    session.commit()
    return {**story, "secret": issued.secret}


def a_registered_organisation(app: Flask, session: Session) -> dict[str, Any]:
    return {"org": make_org(session, OrgKind.supply, name="重庆星河软件有限公司")}


def a_request_to_join(app: Flask, session: Session) -> dict[str, Any]:
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    request = JoinRequest(
        organisation_id=firm.id, email="wang@xinghe.cn", name="王工", password_hash="x"
    )
    session.add(request)
    session.commit()
    return {"org_admin": make_user(session, firm, role=Role.org_admin), "request": request}


def a_refused_organisation(app: Flask, session: Session) -> dict[str, Any]:
    org = make_org(session, OrgKind.supply, verified=False, name="重庆新来科技有限公司")
    org.rejected_at, org.rejection_reason = utcnow(), "信用代码与营业执照不符"
    session.add(org)
    session.commit()
    return {"org_admin": make_user(session, org, role=Role.org_admin), "org": org}


def a_buyers_draft(app: Flask, session: Session) -> dict[str, Any]:
    org = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    draft = make_scenario(session, org, status="draft")
    return {"buyer": make_user(session, org), "draft": draft}


def a_firms_draft(app: Flask, session: Session) -> dict[str, Any]:
    org = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    draft = make_capability(session, org, status="draft")
    return {"firm": make_user(session, org), "draft": draft}


def submitted_entries(app: Flask, session: Session) -> dict[str, Any]:
    buyer = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    return {
        "official": official(session),
        "scenario": make_scenario(session, buyer, status="submitted"),
        "capability": make_capability(session, firm, status="submitted"),
    }


def pairings_awaiting_a_decision(app: Flask, session: Session) -> dict[str, Any]:
    """Two recommended pairings, and a third an official already approved."""
    scenario = make_scenario(session, make_org(session, OrgKind.demand, name="重庆市某局"))
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    first, second, decided = (
        make_pairing(session, scenario, make_capability(session, firm, title=title))
        for title in ("证照OCR识别平台", "票据OCR识别服务", "政务材料预审引擎")
    )
    decided.status = RecommendationStatus.approved
    session.add(decided)
    session.commit()
    return {"official": official(session), "first": first, "second": second, "decided": decided}


def a_draft_batch_and_an_approved_pairing(app: Flask, session: Session) -> dict[str, Any]:
    scenario = make_scenario(session, make_org(session, OrgKind.demand, name="重庆市某局"))
    capability = make_capability(session, make_org(session, OrgKind.supply))
    pairing = make_pairing(session, scenario, capability, RecommendationStatus.approved)
    batch = Batch(name="2024年第二批", year=2024, number=2)  # a draft
    session.add(batch)
    session.commit()
    return {"official": official(session), "batch": batch, "pairing": pairing}


def a_draft_batch_holding_a_pairing(app: Flask, session: Session) -> dict[str, Any]:
    story = a_draft_batch_and_an_approved_pairing(app, session)
    story["pairing"].batch_id = story["batch"].id
    session.add(story["pairing"])
    session.commit()
    return story


def a_published_pairing(app: Flask, session: Session) -> dict[str, Any]:
    return make_published_pairing(session)._asdict()  # buyer, seller, pairing, ...


def a_published_pairing_with_a_step(app: Flask, session: Session) -> dict[str, Any]:
    story = a_published_pairing(app, session)
    buyer = story["buyer"]
    step = DockingEvent(
        recommendation_id=story["pairing"].id,
        stage="negotiating",
        occurred_on=datetime.now(LOCAL).date(),
        user_id=buyer.id,
        organisation_id=buyer.organisation_id,
    )
    session.add(step)
    session.commit()
    return {**story, "step": step}


def a_scenario_and_a_firms_capability(app: Flask, session: Session) -> dict[str, Any]:
    owner = make_org(session, OrgKind.demand, name="重庆市急救医疗中心")
    firm = make_org(session, OrgKind.supply, name="重庆星图智能科技有限公司")
    return {
        "owner": make_user(session, owner),
        "firm": make_user(session, firm),
        "scenario": make_scenario(session, owner, title="急救调度语音智能识别"),
        "capability": make_capability(session, firm, title="语音识别与调度辅助平台"),
    }


def a_pending_interest(app: Flask, session: Session) -> dict[str, Any]:
    story = a_scenario_and_a_firms_capability(app, session)
    interest = Interest(
        scenario_id=story["scenario"].id,
        organisation_id=story["firm"].organisation_id,
        capability_id=story["capability"].id,
        user_id=story["firm"].id,
    )
    session.add(interest)
    session.commit()
    return {**story, "interest": interest}


def a_firms_saved_search(app: Flask, session: Session) -> dict[str, Any]:
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    search = SavedSearch(user_id=firm.id, name="政务OCR", q="OCR")
    session.add(search)
    session.commit()
    session.expunge(search)  # as arranged: the walks that delete it still name it afterwards
    link = digest.unsubscribe_token(app.secret_key, firm.id, [search.id])
    return {"firm": firm, "search": search, "link": link}


def unread_notifications(app: Flask, session: Session) -> dict[str, Any]:
    member = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    notes = [
        Notification(user_id=member.id, kind="entry.published", params={"title": title}, link=link)
        for title, link in (("证照OCR识别平台", "/capabilities/"), ("票据识别服务", "/inbox/"))
    ]
    session.add_all(notes)
    session.commit()
    return {"member": member, "note": notes[0]}


def a_kept_upload(app: Flask, session: Session) -> dict[str, Any]:
    """A buyer's spreadsheet of two scenarios, uploaded and kept for its preview."""
    org = make_org(session, OrgKind.demand, name="重庆某制造集团")
    buyer = make_user(session, org)
    rows = [SCENARIO_HEADERS, scenario_row("园区能耗在线监测"), scenario_row("产线数字孪生建模")]
    table = read_table("场景清单.xlsx", xlsx(rows))
    upload = imports.stash(
        app.instance_path, kind="scenarios", filename="场景清单.xlsx", table=table, user_id=buyer.id
    )
    return {"buyer": buyer, "buyer_org": org, "upload": upload}


def a_firm_with_a_claim(app: Flask, session: Session) -> dict[str, Any]:
    """A firm whose capability claims 高新技术企业, and an official."""
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    org = session.get(Organisation, firm.organisation_id)
    make_capability(session, org, qualifications=["高新技术企业"])
    return {"firm": firm, "official": official(session)}


def a_waiting_certificate(app: Flask, session: Session) -> dict[str, Any]:
    """The firm's certificate, uploaded and waiting for an official."""
    story = a_firm_with_a_claim(app, session)
    certificate = evidence_operations.attach(
        session,
        user=story["firm"],
        kind=ClaimKind.qualification,
        name="高新技术企业",
        source=io.BytesIO(evidence_pdf()),
        filename="证书.pdf",
        directory=Path(app.config["EVIDENCE_DIR"]),
    )
    session.commit()
    return {**story, "certificate": certificate}


def today() -> str:
    """Today in Chongqing, as a date field takes it."""
    return datetime.now(LOCAL).date().isoformat()


REGISTRATION = {
    "org_name": "重庆星河软件有限公司",
    "org_kind": "supply",
    "district": "渝北区",
    "name": "李工",
    "email": "li@xinghe.cn",
    "password": "s3cret-pass",
    "confirm": "s3cret-pass",
}
NEW_PASSWORD = {"current": PASSWORD, "password": "new-pass-123", "confirm": "new-pass-123"}


# ----- the walk: every state-changing endpoint, as a user action -----------------------------

# fmt: off
WALK = [
    # accounts and organisations
    Walk("auth.register", VISITOR, nobody,
         lambda s: Form("/auth/register", {**REGISTRATION, "credit_code": make_credit_code()}),
         [Audit("organisation.register", New(Organisation))]),
    Walk("auth.join", VISITOR, a_registered_organisation,
         lambda s: Form("/auth/join", {**REGISTRATION, "credit_code": s.org.credit_code}),
         [Audit("membership.request", New(JoinRequest))]),
    Walk("members.approve", "org_admin", a_request_to_join,
         lambda s: Form(f"/members/requests/{s.request.id}/approve",
                        {"version": s.request.version}),
         [Audit("membership.approve", "request")]),
    Walk("members.organisation", "org_admin", a_refused_organisation,
         lambda s: Form("/members/organisation", {
             "org_name": s.org.name, "credit_code": make_credit_code(), "district": "渝北区"}),
         [Audit("organisation.correct", "org")]),
    Walk("members.decline", "org_admin", a_request_to_join,
         lambda s: Form(f"/members/requests/{s.request.id}/decline",
                        {"version": s.request.version, "reason": "非本单位员工"}),
         [Audit("membership.decline", "request")]),
    Walk("auth.change_password", "member", a_member,
         lambda s: Form("/auth/password", NEW_PASSWORD),
         [Audit("user.password", "member")]),
    Walk("admin.verify", "official", an_unverified_organisation,
         lambda s: Form(f"/admin/organisations/{s.newcomer.id}/verify", {}),
         [Audit("organisation.verify", "newcomer")]),
    Walk("admin.reject", "official", an_unverified_organisation,
         lambda s: Form(f"/admin/organisations/{s.newcomer.id}/reject",
                        {"reason": "信用代码与营业执照不符"}),
         [Audit("organisation.reject", "newcomer")]),
    Walk("admin.set_active", "admin", an_admin_and_a_member,
         lambda s: Form(f"/admin/users/{s.member.id}/active", {"active": "0"}),
         [Audit("user.active", "member")]),
    Walk("admin.change_role", "admin", an_admin_and_a_member,
         lambda s: Form(f"/admin/users/{s.member.id}/role", {"role": "org_admin"}),
         [Audit("user.role", "member")]),
    Walk("admin.reset_password", "admin", an_admin_and_a_member,
         lambda s: Form(f"/admin/users/{s.member.id}/reset", {}, status=200),
         [Audit("user.reset_link", "member")]),
    Walk("auth.reset_password", VISITOR, a_reset_link,
         lambda s: Form(f"/auth/reset/{s.secret}",
                        {"password": "new-pass-123", "confirm": "new-pass-123"}),
         [Audit("user.password_reset", "member")]),
    Walk("account.tokens", "member", a_member,
         lambda s: Form("/account/tokens", {"name": "CRM 同步"}, status=200),
         [Audit("api_token.create", New(ApiToken))]),
    Walk("account.revoke", "member", a_members_token,
         lambda s: Form(f"/account/tokens/{s.token.id}/revoke", {}),
         [Audit("api_token.revoke", "token")]),

    # posting on the web
    Walk("scenarios.new", "buyer", a_buyer,
         lambda s: Form("/scenarios/new", {**OCR_SCENARIO, "send": "1"}),
         [Audit("scenario.create", New(Scenario))]),
    Walk("scenarios.edit", "buyer", a_buyers_draft,
         lambda s: Form(f"/scenarios/{s.draft.id}/edit",
                        {**OCR_SCENARIO, "version": s.draft.version, "save_draft": "1"}),
         [Audit("scenario.update", "draft")]),
    Walk("scenarios.submit", "buyer", a_buyers_draft,
         lambda s: Form(f"/scenarios/{s.draft.id}/submit", {"version": s.draft.version}),
         [Audit("scenario.submit", "draft")]),
    Walk("scenarios.end", "buyer", a_published_pairing,
         lambda s: Form(f"/scenarios/{s.scenario.id}/close",
                        {"version": s.scenario.version, "reason": "需求已解决"}),
         [Audit("scenario.close", "scenario")]),
    Walk("capabilities.end", "seller", a_published_pairing,
         lambda s: Form(f"/capabilities/{s.capability.id}/withdraw",
                        {"version": s.capability.version}),
         [Audit("capability.withdraw", "capability")]),
    Walk("capabilities.new", "firm", a_firm,
         lambda s: Form("/capabilities/new", {**OCR_CAPABILITY, "save_draft": "1"}),
         [Audit("capability.create", New(Capability))]),
    Walk("capabilities.edit", "firm", a_firms_draft,
         lambda s: Form(f"/capabilities/{s.draft.id}/edit",
                        {**OCR_CAPABILITY, "version": s.draft.version, "send": "1"}),
         [Audit("capability.update", "draft")]),
    Walk("capabilities.submit", "firm", a_firms_draft,
         lambda s: Form(f"/capabilities/{s.draft.id}/submit", {"version": s.draft.version}),
         [Audit("capability.submit", "draft")]),

    # officials' review
    Walk("review.publish", "official", submitted_entries,
         lambda s: Form(f"/review/scenarios/{s.scenario.id}/publish",
                        {"version": s.scenario.version}, status=303),
         [Audit("scenario.publish", "scenario")]),
    Walk("review.send_back", "official", submitted_entries,
         lambda s: Form(f"/review/capabilities/{s.capability.id}/return",
                        {"version": s.capability.version, "reason": "请补充参考案例"}, status=303),
         [Audit("capability.return", "capability")]),
    Walk("review.decide", "official", pairings_awaiting_a_decision,
         lambda s: Form(f"/review/recommendations/{s.first.id}/decision",
                        {"decision": "reject", "note": "规模不匹配", "version": s.first.version},
                        status=303),
         [Audit("recommendation.reject", "first")]),
    # Bulk: one row per pairing decided (each goes through pairings.decide); a ticked pairing
    # that was not awaiting a decision is reported and left as it was, without a row.
    Walk("review.bulk", "official", pairings_awaiting_a_decision,
         lambda s: Form("/review/recommendations/bulk", {
             "decision": "approve",
             "pick": [f"{p.id}:{p.version}" for p in (s.first, s.second, s.decided)],
         }, status=303),
         [Audit("recommendation.approve", "first"), Audit("recommendation.approve", "second")]),

    # batches: one row for the batch, whatever it holds (the row lists the items)
    Walk("batches.new", "official", an_official,
         lambda s: Form("/batches/new", {"year": "2024", "number": "3"}, status=303),
         [Audit("batch.create", New(Batch))]),
    Walk("batches.add", "official", a_draft_batch_and_an_approved_pairing,
         lambda s: Form(f"/batches/{s.batch.id}/items",
                        {"version": s.batch.version, "pairing": str(s.pairing.id)}, status=303),
         [Audit("batch.add", "batch")]),
    Walk("batches.remove", "official", a_draft_batch_holding_a_pairing,
         lambda s: Form(f"/batches/{s.batch.id}/items/remove",
                        {"version": s.batch.version, "item": "pairing", "id": s.pairing.id},
                        status=303),
         [Audit("batch.remove", "batch")]),
    Walk("batches.publish", "official", a_draft_batch_holding_a_pairing,
         lambda s: Form(f"/batches/{s.batch.id}/publish", {"version": s.batch.version},
                        status=303),
         [Audit("batch.publish", "batch")]),

    # follow-up, interest, inbox
    Walk("docking.add_step", "seller", a_published_pairing,
         lambda s: Form(f"/docking/{s.pairing.id}/steps",
                        {"stage": "contacted", "occurred_on": today()}),
         [Audit("docking.step", New(DockingEvent))]),
    Walk("docking.correct", "buyer", a_published_pairing_with_a_step,
         lambda s: Form(f"/docking/{s.pairing.id}/steps/{s.step.id}/correct",
                        {"correct-stage": "contacted", "correct-occurred_on": today()}),
         [Audit("docking.correct", New(DockingEvent))]),
    Walk("interest.express_view", "firm", a_scenario_and_a_firms_capability,
         lambda s: Form(f"/interest/scenarios/{s.scenario.id}",
                        {"capability": str(s.capability.id), "message": "我们做过类似项目"}),
         [Audit("interest.express", New(Interest))]),
    Walk("interest.accept_view", "owner", a_pending_interest,
         lambda s: Form(f"/interest/{s.interest.id}/accept", {}),
         [Audit("interest.accept", "interest")]),
    Walk("interest.decline_view", "owner", a_pending_interest,
         lambda s: Form(f"/interest/{s.interest.id}/decline", {"reason": "已有合作单位"}),
         [Audit("interest.decline", "interest")]),
    Walk("inbox.mark_read", "member", unread_notifications,
         lambda s: Form(f"/inbox/{s.note.id}/read", {}),
         [Audit("notification.read", "note")]),
    Walk("inbox.open_link", "member", unread_notifications,
         lambda s: Form(f"/inbox/{s.note.id}/open", {}),
         [Audit("notification.read", "note")]),
    # Read all: one row for the act, on the user (the row counts the notifications).
    Walk("inbox.mark_all_read", "member", unread_notifications,
         lambda s: Form("/inbox/read-all", {}),
         [Audit("notification.read_all", "member")]),

    # saved searches: kept, changed, deleted by their owner; stopped by an e-mail's link
    Walk("alerts.new", "firm", a_firm,
         lambda s: Form("/alerts/new/scenarios", {"name": "政务OCR", "q": "OCR",
                                                   "frequency": "daily"}),
         [Audit("saved_search.create", New(SavedSearch))]),
    Walk("alerts.save", "firm", a_firm,
         lambda s: Form("/alerts/save/scenarios", {"q": "OCR"}, status=303),
         [Audit("saved_search.create", New(SavedSearch))]),
    Walk("alerts.edit", "firm", a_firms_saved_search,
         lambda s: Form(f"/alerts/{s.search.id}/edit", {"version": s.search.version, "q": "OCR",
                                                        "name": "改名", "frequency": "weekly"},
                        status=303),
         [Audit("saved_search.update", "search")]),
    Walk("alerts.delete", "firm", a_firms_saved_search,
         lambda s: Form(f"/alerts/{s.search.id}/delete", {"version": s.search.version},
                        status=303),
         [Audit("saved_search.delete", "search")]),
    Walk("alerts.unsubscribe", VISITOR, a_firms_saved_search,
         lambda s: Form(f"/alerts/unsubscribe/{s.link}", {}, status=200),
         [Audit("saved_search.unsubscribe", "search")]),

    # import: one row per confirmed upload, on the importer's organisation (it lists the ids)
    Walk("io.review", "buyer", a_kept_upload,
         lambda s: Form(f"/io/import/scenarios/{s.upload}", {"status": "submitted"}),
         [Audit("import.commit", "buyer_org")]),

    # evidence: a firm's file, an official's decision
    Walk("evidence.upload", "firm", a_firm_with_a_claim,
         lambda s: Form("/evidence/upload", {
             "kind": "qualification", "claim": "高新技术企业",
             "file": (io.BytesIO(evidence_pdf()), "证书.pdf")}),
         [Audit("evidence.upload", New(Evidence))]),
    Walk("evidence.withdraw", "firm", a_waiting_certificate,
         lambda s: Form(f"/evidence/{s.certificate.id}/withdraw",
                        {"version": s.certificate.version}),
         [Audit("evidence.withdraw", "certificate")]),
    Walk("evidence.approve", "official", a_waiting_certificate,
         lambda s: Form(f"/evidence/{s.certificate.id}/approve",
                        {"version": s.certificate.version, "expires_on": "2030-06-30"}),
         [Audit("evidence.approve", "certificate")]),
    Walk("evidence.reject", "official", a_waiting_certificate,
         lambda s: Form(f"/evidence/{s.certificate.id}/reject",
                        {"version": s.certificate.version, "reason": "证书已过期"}),
         [Audit("evidence.reject", "certificate")]),

    # the JSON API, with the actor's token
    Walk("api.create_scenario", "buyer", a_buyer,
         lambda s: Api("POST", "/api/v1/scenarios", OCR_SCENARIO_ROW, status=201),
         [Audit("scenario.create", New(Scenario))]),
    Walk("api.update_scenario", "buyer", a_buyers_draft,
         lambda s: Api("PUT", f"/api/v1/scenarios/{s.draft.id}",
                       {**OCR_SCENARIO_ROW, "version": s.draft.version}),
         [Audit("scenario.update", "draft")]),
    Walk("api.submit_scenario", "buyer", a_buyers_draft,
         lambda s: Api("POST", f"/api/v1/scenarios/{s.draft.id}/submit",
                       {"version": s.draft.version}),
         [Audit("scenario.submit", "draft")]),
    Walk("api.create_capability", "firm", a_firm,
         lambda s: Api("POST", "/api/v1/capabilities", OCR_CAPABILITY_ROW, status=201),
         [Audit("capability.create", New(Capability))]),
    Walk("api.update_capability", "firm", a_firms_draft,
         lambda s: Api("PUT", f"/api/v1/capabilities/{s.draft.id}",
                       {**OCR_CAPABILITY_ROW, "version": s.draft.version}),
         [Audit("capability.update", "draft")]),
    Walk("api.submit_capability", "firm", a_firms_draft,
         lambda s: Api("POST", f"/api/v1/capabilities/{s.draft.id}/submit",
                       {"version": s.draft.version}),
         [Audit("capability.submit", "draft")]),
    Walk("api.decide", "official", pairings_awaiting_a_decision,
         lambda s: Api("POST", f"/api/v1/recommendations/{s.first.id}/decision",
                       {"decision": "approve", "version": s.first.version}),
         [Audit("recommendation.approve", "first")]),
    Walk("api.create_saved_search", "firm", a_firm,
         lambda s: Api("POST", "/api/v1/saved-searches",
                       {"name": "政务OCR", "kind": "scenarios", "q": "OCR"}, status=201),
         [Audit("saved_search.create", New(SavedSearch))]),
    Walk("api.update_saved_search", "firm", a_firms_saved_search,
         lambda s: Api("PUT", f"/api/v1/saved-searches/{s.search.id}",
                       {"name": "改名", "version": s.search.version}),
         [Audit("saved_search.update", "search")]),
    Walk("api.delete_saved_search", "firm", a_firms_saved_search,
         lambda s: Api("DELETE", f"/api/v1/saved-searches/{s.search.id}",
                       {"version": s.search.version}, status=204),
         [Audit("saved_search.delete", "search")]),
    Walk("api.record_docking_step", "buyer", a_published_pairing,
         lambda s: Api("POST", f"/api/v1/pairings/{s.pairing.id}/docking",
                       {"stage": "contacted", "occurred_on": today()}, status=201),
         [Audit("docking.step", New(DockingEvent))]),
    Walk("api.correct_docking_step", "buyer", a_published_pairing_with_a_step,
         lambda s: Api("POST", f"/api/v1/pairings/{s.pairing.id}/docking/{s.step.id}/correction",
                       {"stage": "contacted", "occurred_on": today()}, status=201),
         [Audit("docking.correct", New(DockingEvent))]),
]

NOT_STATE_CHANGES = {
    "auth.login": "a session event: signing in writes only the user's last_login_at, the time of "
                  "this sign-in, and no object anyone acts on changes",
    "auth.logout": "a session event: signing out bumps only the user's session_version, which "
                   "ends the user's own sessions; no object anyone acts on changes",
    "io.upload": "keeps the parsed spreadsheet as a preview file in instance/imports; nothing "
                 "is stored until io.review confirms it (that writes the import's row)",
    "io.discard": "deletes that preview file; nothing was stored, so nothing changes",
}

# The exempt routes walked too, each with the only stored columns it may touch.
QUIET = [
    (Walk("auth.login", VISITOR, a_member,
          lambda s: Form("/auth/login", {"email": s.member.email, "password": PASSWORD}), []),
     {("user", "last_login_at")}),
    (Walk("auth.logout", "member", a_member, lambda s: Form("/auth/logout", {}), []),
     {("user", "session_version")}),
    (Walk("io.upload", "buyer", a_buyer,
          lambda s: Form("/io/import/scenarios", {"file": (io.BytesIO(xlsx(
              [SCENARIO_HEADERS, scenario_row("园区能耗在线监测")])), "场景清单.xlsx")}), []),
     set()),
    (Walk("io.discard", "buyer", a_kept_upload,
          lambda s: Form(f"/io/import/scenarios/{s.upload}/discard", {}), []),
     set()),
]
# fmt: on


# ----- running a walk -----------------------------------------------------------------------


Key = tuple[str, tuple[Any, ...]]  # (table, primary key)


def database(session: Session) -> dict[Key, dict[str, Any]]:
    """Every stored row of every table, as the app committed it; the data version, which
    every write moves on (web/freshness.py), is bookkeeping and not an object."""
    session.expire_all()
    rows = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name == "data_version":
            continue
        for row in session.execute(select(table)).mappings():
            key = tuple(row[column.name] for column in table.primary_key.columns)
            rows[(table.name, key)] = dict(row)
    session.rollback()  # end the read: the app writes next
    return rows


def new_ids(before: dict[Key, Any], after: dict[Key, Any], table: str) -> list[Any]:
    return sorted(key[0] for name, key in after.keys() - before.keys() if name == table)


def earlier_history(session: Session) -> None:
    """Rows already in the trail, so that every request has old rows it must leave alone."""
    session.add_all(
        [
            AuditEntry(action="organisation.verify", object_type="organisation", object_id=1),
            AuditEntry(
                action="scenario.return",
                object_type="scenario",
                object_id=1,
                changes={"status": "draft", "reason": "请补充现状描述"},
            ),
        ]
    )
    session.commit()


def walk_through(app: Flask, session: Session, walk: Walk) -> tuple[Story, dict, dict]:
    """Arrange the story, make the request as its actor; the database before and after."""
    earlier_history(session)
    story = Story(**walk.arrange(app, session))
    actor = None if walk.actor == VISITOR else getattr(story, walk.actor)
    request = walk.request(story)
    method = request.method if isinstance(request, Api) else "POST"
    path = request.url.partition("?")[0]
    assert app.url_map.bind("localhost").match(path, method)[0] == walk.endpoint
    if isinstance(request, Api):  # a program: no cookies, the actor's token
        token = tokens.issue(session, user=actor, name="audit walk").secret
        client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    else:  # a browser, signed in as the actor
        client = sign_in(app, actor) if actor else app.test_client()
    before = database(session)
    if isinstance(request, Api):
        response = client.open(request.url, method=method, json=request.json, headers=headers)
    else:
        response = post(client, request.url, request.data)
    assert response.status_code == request.status, response.get_data(as_text=True)[:2000]
    after = database(session)
    trail_before = {k: v for k, v in before.items() if k[0] == AuditEntry.__tablename__}
    kept = {k: after.get(k) for k in trail_before}
    assert kept == trail_before, "an audit row was changed or deleted"
    return story, before, after


def written(before: dict, after: dict) -> list[tuple]:
    """The audit rows a request added: (action, object type, object id, user id)."""
    table = AuditEntry.__tablename__
    rows = [after[(table, (i,))] for i in new_ids(before, after, table)]
    return sorted((r["action"], r["object_type"], r["object_id"], r["user_id"]) for r in rows)


def expected(walk: Walk, story: Story, before: dict, after: dict) -> list[tuple]:
    actor = None if walk.actor == VISITOR else getattr(story, walk.actor)
    rows = []
    for audit in walk.audit:
        if isinstance(audit.on, New):
            table = audit.on.model.__tablename__
            (object_id,) = new_ids(before, after, table)  # the request made exactly one
        else:
            obj = getattr(story, audit.on)
            table, object_id = type(obj).__tablename__, obj.id
        rows.append((audit.action, table, object_id, actor.id if actor else None))
    return sorted(rows)


# ----- the tests ----------------------------------------------------------------------------


def test_every_state_changing_route_is_walked_or_exempt_with_a_reason(app):
    mutating = {r.endpoint for r in app.url_map.iter_rules() if r.methods & WRITES}
    walked = [walk.endpoint for walk in WALK]
    assert len(walked) == len(set(walked)), "one walk per endpoint"
    assert not set(walked) & set(NOT_STATE_CHANGES)
    assert {walk.endpoint for walk, _columns in QUIET} == set(NOT_STATE_CHANGES)
    assert all(len(reason) > 40 for reason in NOT_STATE_CHANGES.values())
    unlisted = mutating - set(walked) - set(NOT_STATE_CHANGES)
    assert not unlisted, (
        f"add these to WALK (with their audit row) or NOT_STATE_CHANGES: {unlisted}"
    )
    assert set(walked) | set(NOT_STATE_CHANGES) == mutating, "listed but no longer a route"


@pytest.mark.parametrize("walk", WALK, ids=lambda walk: walk.endpoint)
def test_each_state_change_writes_its_audit_row_and_keeps_the_trail(app, session, walk):
    story, before, after = walk_through(app, session, walk)
    assert written(before, after) == expected(walk, story, before, after)


@pytest.mark.parametrize("walk, columns", QUIET, ids=[walk.endpoint for walk, _columns in QUIET])
def test_an_exempt_route_writes_no_audit_row_and_changes_no_object(app, session, walk, columns):
    story, before, after = walk_through(app, session, walk)
    assert written(before, after) == []
    changed = {(table, "(row added)") for table, _key in after.keys() - before.keys()}
    changed |= {(table, "(row deleted)") for table, _key in before.keys() - after.keys()}
    for key in before.keys() & after.keys():
        changed |= {(key[0], c) for c, value in before[key].items() if after[key][c] != value}
    assert changed <= columns
