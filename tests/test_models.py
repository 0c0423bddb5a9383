"""Model validation: what the database refuses to hold."""

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import StatementError

from matchmaker.auth.creditcode import make
from models import Organisation, OrgKind, Scenario

VALID_CODE = make("9", "1", "500112", "20345678")


def org_data(**overrides):
    return {
        "name": "重庆两江数字科技有限公司",
        "kind": "supply",
        "credit_code": VALID_CODE,
        "district": "两江新区",
        **overrides,
    }


def scenario_data(**overrides):
    return {
        "title": "政务大厅材料智能预审",
        "description": "24小时自助政务大厅需要对申请人提交的材料进行身份核验和自动预审。",
        "field": "智慧政务",
        "organisation_id": 1,
        **overrides,
    }


def test_an_organisation_with_a_valid_credit_code_is_accepted():
    org = Organisation.model_validate(org_data(credit_code=VALID_CODE.lower()))
    assert org.credit_code == VALID_CODE and org.kind is OrgKind.supply


def test_a_credit_code_with_a_wrong_check_digit_is_refused():
    wrong = VALID_CODE[:17] + ("0" if VALID_CODE[17] != "0" else "1")
    with pytest.raises(ValidationError, match="credit code"):
        Organisation.model_validate(org_data(credit_code=wrong))


def test_an_unknown_organisation_kind_is_refused():
    with pytest.raises(ValidationError):
        Organisation.model_validate(org_data(kind="both"))


def test_the_database_refuses_an_unknown_status(session):
    session.add(Organisation.model_validate(org_data()))
    session.commit()
    session.add(Scenario(**scenario_data(status="archived")))
    with pytest.raises(StatementError):
        session.commit()


@pytest.mark.parametrize("missing", ["title", "description", "field"])
def test_a_scenario_needs_title_description_and_field(missing):
    data = scenario_data()
    del data[missing]
    with pytest.raises(ValidationError):
        Scenario.model_validate(data)


def test_a_budget_range_must_be_in_order():
    with pytest.raises(ValidationError, match="budget"):
        Scenario.model_validate(scenario_data(budget_min_wan=300, budget_max_wan=100))


def test_tags_are_trimmed_and_deduplicated():
    scenario = Scenario.model_validate(
        scenario_data(
            tags=[" OCR ", "OCR", "", "身份核验", "ocr", "ＯＣＲ"], deadline=date(2024, 6, 30)
        )
    )
    assert scenario.tags == ["OCR", "身份核验"]  # one OCR, in any case or width
