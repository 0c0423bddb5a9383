"""Every district list offers all of Chongqing's 38 districts and counties and the three zones."""

import html
import io
import json
import re

from openpyxl import load_workbook
from sqlmodel import select

from models import OrgKind, Role, Scenario
from support import login, make_org, make_user, post

# The 26 区, 8 县 and 4 自治县 of Chongqing, and the development zones that act as districts.
CHONGQING = [
    "万州区",
    "涪陵区",
    "渝中区",
    "大渡口区",
    "江北区",
    "沙坪坝区",
    "九龙坡区",
    "南岸区",
    "北碚区",
    "綦江区",
    "大足区",
    "渝北区",
    "巴南区",
    "黔江区",
    "长寿区",
    "江津区",
    "合川区",
    "永川区",
    "南川区",
    "璧山区",
    "铜梁区",
    "潼南区",
    "荣昌区",
    "开州区",
    "梁平区",
    "武隆区",
    "城口县",
    "丰都县",
    "垫江县",
    "忠县",
    "云阳县",
    "奉节县",
    "巫山县",
    "巫溪县",
    "石柱土家族自治县",
    "秀山土家族苗族自治县",
    "酉阳土家族苗族自治县",
    "彭水苗族土家族自治县",
]
ZONES = ("两江新区", "西部科学城重庆高新区", "重庆经开区")
OPTION = re.compile(r'<option[^>]*\bvalue="([^"]*)"')


def _district_options(page: str) -> set[str]:
    """The values of the options of the page's district select."""
    start = page.index('name="district"')
    select = page[start : page.index("</select>", start)]
    return {html.unescape(value) for value in OPTION.findall(select)}


def test_the_list_is_complete():
    assert len(CHONGQING) == 38
    assert sum(d.endswith("区") for d in CHONGQING) == 26
    assert sum(d.endswith("自治县") for d in CHONGQING) == 4


def test_every_district_list_offers_all_38_districts_and_counties_and_the_zones(client, session):
    everyone = {*CHONGQING, *ZONES}
    buyer = make_user(session, make_org(session, OrgKind.demand))
    official = make_user(session, make_org(session, OrgKind.authority), role=Role.official)

    def options(url: str) -> set[str]:
        response = client.get(url)
        assert response.status_code == 200, url
        return _district_options(response.get_data(as_text=True))

    for url in ("/auth/register", "/scenarios/", "/capabilities/"):
        assert everyone <= options(url), url
    login(client, buyer)
    assert everyone <= options("/scenarios/new")
    client.post("/auth/logout", data={})
    login(client, official)
    for url in ("/review/", "/dashboard/"):
        assert everyone <= options(url), url

    workbook = load_workbook(io.BytesIO(client.get("/io/template/scenarios.xlsx").data))
    values = workbook.worksheets[-1]
    assert everyone <= {row[1] for row in values.iter_rows(min_row=2, values_only=True)}

    spec = client.get("/api/v1/openapi.json").get_json()
    district = json.dumps(spec["components"]["schemas"]["ScenarioCreate"], ensure_ascii=False)
    assert all(f'"{name}"' in district for name in everyone)


def test_a_county_office_posts_a_scenario_in_its_county(client, session):
    office = make_org(session, OrgKind.demand, name="石柱土家族自治县大数据发展局")
    login(client, make_user(session, office))
    response = post(
        client,
        "/scenarios/new",
        {
            "title": "山区学校远程同步课堂",
            "description": "全县二十余所村小缺少专业教师，需要建设远程同步课堂，让村小学生共享县城优质课程。",
            "field": "数字内容",
            "district": "石柱土家族自治县",
            "save_draft": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(Scenario)).one().district == "石柱土家族自治县"
