"""Officials' verification list: search, pages, the applicant's contact, refusal with a reason."""

from datetime import UTC, datetime

from sqlmodel import select

from models import AuditEntry, Organisation, OrgKind, Role
from support import login, make_org, make_user, post


def official_client(app, session):
    authority = make_org(session, OrgKind.authority, name="重庆市经济和信息化委员会")
    client = app.test_client()
    login(client, make_user(session, authority, role=Role.official))
    return client


def applicant(session, name, email, *, registered=None):
    org = make_org(session, OrgKind.supply, verified=False, name=name)
    if registered:
        org.created_at = registered
        session.add(org)
        session.commit()
    make_user(session, org, email=email)
    return org


def test_an_official_finds_an_applicant_and_sees_who_registered_it_and_when(app, session):
    applicant(
        session,
        "重庆星河软件有限公司",
        "li@xinghe.cn",
        registered=datetime(2025, 3, 1, 2, 30, tzinfo=UTC),
    )
    applicant(session, "重庆云帆数据有限公司", "zhao@yunfan.cn")
    desk = official_client(app, session)

    page = desk.get("/admin/organisations?q=星河").get_data(as_text=True)

    assert "重庆星河软件有限公司" in page and "重庆云帆数据有限公司" not in page
    assert "li@xinghe.cn" in page  # the contact
    assert "2025-03-01 10:30" in page  # registered, in China Standard Time
    by_contact = desk.get("/admin/organisations?q=zhao@yunfan").get_data(as_text=True)
    assert "重庆云帆数据有限公司" in by_contact and "重庆星河软件有限公司" not in by_contact


def test_a_long_verification_list_comes_a_page_at_a_time(app, session):
    app.config["PAGE_SIZE"] = 2
    for number in range(5):
        applicant(session, f"重庆第{number}软件有限公司", f"n{number}@example.cn")
    desk = official_client(app, session)

    first = desk.get("/admin/organisations").get_data(as_text=True)
    third = desk.get("/admin/organisations?page=3").get_data(as_text=True)

    assert "重庆第4软件有限公司" in first and "重庆第0软件有限公司" not in first  # newest first
    assert "重庆第0软件有限公司" in third and "重庆第4软件有限公司" not in third
    assert "第 3 / 3 页" in third


def test_an_official_refuses_an_organisation_with_a_reason_it_can_read(app, session):
    org = applicant(session, "重庆星河软件有限公司", "li@xinghe.cn")
    desk = official_client(app, session)

    without_reason = post(desk, f"/admin/organisations/{org.id}/reject", {"reason": "  "})
    assert without_reason.status_code == 422
    session.refresh(org)
    assert org.rejected_at is None

    response = post(
        desk, f"/admin/organisations/{org.id}/reject", {"reason": "信用代码与营业执照不符"}
    )
    assert response.status_code == 302
    session.refresh(org)
    assert not org.verified and org.rejection_reason == "信用代码与营业执照不符"
    assert "信用代码与营业执照不符" in desk.get("/admin/organisations").get_data(as_text=True)
    audit_row = session.exec(
        select(AuditEntry).where(AuditEntry.action == "organisation.reject")
    ).one()
    assert audit_row.object_id == org.id

    # Verified after all (the papers arrived): the refusal is cleared; a verified one stays so.
    post(desk, f"/admin/organisations/{org.id}/verify")
    session.refresh(org)
    assert org.verified and org.rejected_at is None and org.rejection_reason == ""
    again = post(desk, f"/admin/organisations/{org.id}/reject", {"reason": "误操作"})
    assert again.status_code == 409
    assert session.get(Organisation, org.id).verified
