"""Small hand-written lists for the posting, review and batch stories."""

import re
from typing import NamedTuple

from flask.testing import FlaskClient
from sqlmodel import Session

from matchmaker.entries.indexing import index_entry
from models import (
    Capability,
    CapabilityStatus,
    Organisation,
    OrgKind,
    Role,
    Scenario,
    ScenarioStatus,
    User,
)
from models._types import utcnow
from support import login, make_org, make_user

OCR_SCENARIO = {
    "title": "政务大厅办事材料智能预审",
    "summary": "群众提交的证照和申请材料自动识别、自动预审",
    "problem": "窗口人员每天人工核对上千份材料，退件率高，群众多次跑腿。",
    "target_users": "区政务服务中心窗口人员和前来办事的群众",
    "current_state": "人工逐页核对身份证、营业执照等证照材料。",
    "expected_outcome": "材料预审时间从20分钟缩短到2分钟，退件率下降一半。",
    "description": "24小时自助政务大厅需要对申请人提交的证照材料进行OCR文字识别、身份核验和"
    "自动预审，识别结果回填到审批系统，减少退件和群众跑腿次数。",
    "field": "智慧政务",
    "district": "渝北区",
    "tags": "OCR、身份核验、材料预审",
    "budget_min_wan": "50",
    "budget_max_wan": "120",
    "deadline": "2030-06-30",
    "contact_name": "王主任",
    "contact_phone": "023-67000000",
}

OCR_CAPABILITY = {
    "title": "OCR证照文字识别与材料预审平台",
    "summary": "证照、票据、手写体材料的文字识别和自动预审",
    "description": "基于深度学习的OCR文字识别平台，支持身份证、营业执照、票据和手写体材料识别，"
    "可与政务审批系统对接完成材料自动预审，准确率99%以上。",
    "field": "人工智能",
    "district": "两江新区",
    "tags": "OCR、文字识别、材料预审",
    "products": "星河OCR平台、智能预审引擎",
    "cases": "2022年为某区政务服务中心建设材料预审系统\n2021年为某银行建设票据识别系统",
    "qualifications": ["高新技术企业", "专精特新"],
}

OCR_CAPABILITY_ROW = {
    **OCR_CAPABILITY,
    "tags": ["OCR", "文字识别", "材料预审"],
    "products": ["星河OCR平台", "智能预审引擎"],
    "cases": OCR_CAPABILITY["cases"].splitlines(),
}

OCR_SCENARIO_ROW = {
    **OCR_SCENARIO,
    "tags": ["OCR", "身份核验", "材料预审"],
    "budget_min_wan": 50.0,
    "budget_max_wan": 120.0,
    "deadline": None,
}

SLOPE_CAPABILITY = {
    "title": "矿山边坡位移监测预警系统",
    "description": "北斗定位与物联网传感器结合的矿山边坡位移监测预警系统，全天候自动采集位移数据，"
    "超过阈值即时预警，替代人工巡检。",
    "field": "物联网",
    "district": "万州区",
    "tags": ["边坡监测", "北斗", "预警"],
}

KIOSK_CAPABILITY = {
    "title": "政务服务材料OCR识别一体机",
    "description": "面向政务大厅的自助一体机，内置OCR文字识别和身份核验模块，群众自助提交材料，"
    "系统自动预审并推送审批系统。",
    "field": "智慧政务",
    "district": "渝北区",
    "tags": ["OCR", "身份核验", "自助终端"],
}

INVOICE_CAPABILITY = {
    "title": "票据OCR识别与财务材料审核",
    "description": "财务票据和报销材料的OCR文字识别、自动审核平台，支持增值税发票、行程单等材料，"
    "可对接审批系统完成预审。",
    "field": "人工智能",
    "district": "南岸区",
    "tags": ["OCR", "票据识别", "材料预审"],
}


def published(session: Session, model: type, org: Organisation, **fields) -> Scenario | Capability:
    """A published entry of `org`, indexed as the app indexes every save."""
    status = ScenarioStatus.published if model is Scenario else CapabilityStatus.published
    entry = model(organisation_id=org.id, status=status, published_at=utcnow(), **fields)
    index_entry(entry)
    session.add(entry)
    session.commit()
    return entry


def member_of(session: Session, kind: OrgKind, name: str) -> User:
    """An org admin of a new verified organisation of `kind`."""
    return make_user(session, make_org(session, kind, name=name))


def official(session: Session) -> User:
    """An official of the city's authority."""
    authority = make_org(session, OrgKind.authority, name="重庆市经济和信息化委员会")
    return make_user(session, authority, role=Role.official)


def sign_in(app, user: User) -> FlaskClient:
    """A browser of its own, signed in as `user`, reading the English UI."""
    client = app.test_client()
    login(client, user)
    client.get("/?lang=en")
    return client


def hidden(page: str, name: str) -> str:
    """The value of a hidden input on a page."""
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', page)
    assert match, f"no hidden {name}"
    return match.group(1) or match.group(2)


INVOICE_SCENARIO = {
    "title": "集团报销票据自动审核",
    "description": "集团财务共享中心每月处理数万张报销票据，需要OCR识别增值税发票和行程单，"
    "自动核对金额并预审报销材料。",
    "field": "大数据",
    "district": "南岸区",
    "tags": ["票据识别", "OCR", "财务共享"],
}


class Lists(NamedTuple):
    """Two buyers' scenarios, three firms' capabilities, matched by `matchmaker match`."""

    government: Organisation
    group: Organisation
    firms: list[Organisation]
    scenarios: list[Scenario]
    capabilities: list[Capability]
    firm_users: list[User]


def matched_lists(app, session: Session) -> Lists:
    """Published entries on both sides, and their recommendations stored by the CLI."""
    government = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    group = make_org(session, OrgKind.demand, name="重庆某能源集团有限公司")
    firms = [
        make_org(session, OrgKind.supply, name=name)
        for name in ("重庆星河软件有限公司", "重庆云端终端科技有限公司", "重庆票通信息技术有限公司")
    ]
    scenarios = [
        published(session, Scenario, government, **OCR_SCENARIO_ROW),
        published(session, Scenario, group, **INVOICE_SCENARIO),
    ]
    capabilities = [
        published(session, Capability, firm, **row)
        for firm, row in zip(
            firms, (OCR_CAPABILITY_ROW, KIOSK_CAPABILITY, INVOICE_CAPABILITY), strict=True
        )
    ]
    firm_users = [make_user(session, firm) for firm in firms]
    for org in (government, group):
        make_user(session, org)
    result = app.test_cli_runner().invoke(args=["match"])
    assert result.exit_code == 0, result.output
    return Lists(government, group, firms, scenarios, capabilities, firm_users)


class TwoFields(NamedTuple):
    """Published scenarios waiting for a batch: three clinics' and two service halls'."""

    clinics: list[Scenario]
    halls: list[Scenario]


def scenarios_in_two_fields(session: Session) -> TwoFields:
    """Three healthcare scenarios in 南岸区 and two government-service ones in 渝北区."""
    owners = {
        "智慧医疗": make_org(session, OrgKind.demand, name="重庆市南岸区人民医院"),
        "智慧政务": make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心"),
    }

    def scenarios(field: str, district: str, title: str, description: str, count: int):
        return [
            published(
                session,
                Scenario,
                owners[field],
                title=f"{title}{n}",
                description=description,
                field=field,
                district=district,
            )
            for n in range(count)
        ]

    return TwoFields(
        scenarios("智慧医疗", "南岸区", "门诊智能导诊", "门诊导诊与分诊。", 3),
        scenarios("智慧政务", "渝北区", "政务大厅材料预审", "材料识别预审。", 2),
    )
