"""Schemathesis drives every operation of the OpenAPI document against the app (WSGI, no
network) with generated valid and invalid input, in all its phases (examples, coverage,
fuzzing, stateful), and runs all its checks on each answer: no server errors; status codes,
content types, headers and bodies as documented; valid data accepted, invalid data refused;
auth not ignored; 405 with Allow for undeclared methods.

It runs through schemathesis's engine (what `st run` uses) rather than its pytest plugin: the
plugin's fixture-based loader does not work with this pytest, and the engine runs the
coverage phase the plugin would leave out.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from api_helpers import (
    make_batch,
    make_capability,
    make_recommendation,
    make_scenario,
    token_for,
)
from schemathesis.engine import Status, events

from models import CapabilityStatus, OrgKind, RecommendationStatus, Role, ScenarioStatus
from support import make_org, make_user


@pytest.fixture
def seeded(app, session):
    """A few entries of each kind, and a token for a buyer, a firm and an official."""
    app.config["API_RATE_LIMIT"] = ""  # no limit: the generated calls come in a burst
    bureau = make_org(session, OrgKind.demand, name="重庆市渝北区大数据应用发展管理局")
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    authority = make_org(session, OrgKind.authority, name="重庆市经济和信息化委员会")
    batch = make_batch(session)
    hall = make_scenario(session, bureau, batch_id=batch.id)
    mine = make_scenario(
        session, bureau, title="礦山邊坡位移監測", field="物联网", district="万州区"
    )
    make_scenario(session, bureau, title="草稿场景", status=ScenarioStatus.draft)
    ocr = make_capability(session, firm, batch_id=batch.id)
    make_capability(session, firm, title="能力草稿", status=CapabilityStatus.draft)
    # A published pairing both tokens' organisations are party to, and two awaiting review.
    make_recommendation(
        session, hall, ocr, status=RecommendationStatus.published, batch_id=batch.id
    )
    make_recommendation(session, mine, ocr)
    make_recommendation(
        session, mine, make_capability(session, firm, title="边坡雷达监测", field="物联网")
    )
    return {
        "demand": token_for(session, make_user(session, bureau)),
        "supply": token_for(session, make_user(session, firm)),
        "official": token_for(session, make_user(session, authority, role=Role.official)),
    }


def run_schemathesis(app, tokens: dict[str, str]) -> tuple[int, list[str]]:
    """Run every phase and check; return how many requests were made and what went wrong."""
    config = schemathesis.Config.from_dict(
        {
            "seed": 20240501,  # the same examples on every run and machine
            "generation": {"max-examples": 30, "deterministic": True, "database": "none"},
            # All checks but ignored_auth, whose probe crashes on WSGI apps in schemathesis
            # 4.32 (it drops the session, then hands werkzeug `max_redirects`); the test below
            # checks the same promise for every secured operation.
            "checks": {"enabled": True, "ignored_auth": {"enabled": False}},
            # Each operation is called as the account it is meant for.
            "headers": {"Authorization": f"Bearer {tokens['demand']}"},
            "operations": [
                {
                    "include-tag": "Capabilities",
                    "headers": {"Authorization": f"Bearer {tokens['supply']}"},
                },
                {
                    "include-tag": "Review",
                    "headers": {"Authorization": f"Bearer {tokens['official']}"},
                },
                {
                    # Whether an account may follow what fits its organisation depends on the
                    # organisation's side ("matched"), which no schema can state: a buyer's
                    # well-formed search of fitting scenarios is a 422 with the reason.
                    "include-tag": "Saved searches",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
                        }
                    },
                },
                {
                    # A step's date is checked against today and the pairing's history, which
                    # no schema can state: a well-formed step on the wrong day is a 422.
                    "include-operation-id": "record_docking_step",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
                        }
                    },
                },
            ],
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()

    @schema.hook
    def filter_body(context, body):  # type: ignore[no-untyped-def]
        # The two rules of the bodies JSON Schema cannot state (they compare two fields, or a
        # field with today): a range's lower end (a budget's, a saved search's deadline
        # window's) does not exceed its upper end, and a deadline is not already past. Such bodies are refused (422, tested in the stories) and so not
        # generated as valid ones here.
        if isinstance(body, dict):
            reversed_range = False
            # Budget ranges, and a saved search's deadline window.
            for low_name, high_name in (
                ("budget_min_wan", "budget_max_wan"),
                ("deadline_min_days", "deadline_max_days"),
            ):
                low, high = body.get(low_name), body.get(high_name)
                numbers = all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)
                )
                reversed_range = reversed_range or (numbers and low > high)
            deadline = body.get("deadline")
            past = isinstance(deadline, str) and deadline < today
            return not reversed_range and not past
        return True

    requests, problems = 0, []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            requests += len(event.recorder.interactions)
            problems += failures_of(event.recorder)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            where = f"{getattr(event, 'phase', '')} {getattr(event, 'label', '')}".strip()
            problems.append(f"error in {where}: {getattr(event, 'value', None) or event.exception}")
    return requests, sorted(set(problems))


def failures_of(recorder) -> list[str]:  # type: ignore[no-untyped-def]
    """Each failed check and server error of one scenario, with the request that caused it."""
    found = []
    for case_id in recorder.interactions.keys() | recorder.checks.keys():
        interaction = recorder.interactions.get(case_id)
        answer = interaction.response if interaction is not None else None
        sent = f"{interaction.request.method} {interaction.request.uri}" if interaction else ""
        if answer is not None:
            sent += f" → {answer.status_code} {(answer.content or b'')[:300]!r}"
            if answer.status_code >= 500:
                found.append(f"{recorder.label}: server error [{sent}]")
        for check in recorder.checks.get(case_id, []):
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                found.append(
                    f"{recorder.label}: {check.name}: {failure.title} "
                    f"({failure.message.strip()[:200]}) [{sent}]"
                )
    return found


@pytest.mark.slow
def test_the_api_keeps_every_promise_of_its_openapi_document(app, seeded):
    requests, problems = run_schemathesis(app, seeded)
    assert problems == []
    assert requests > 200  # every operation was really exercised


def test_every_secured_operation_refuses_calls_without_a_valid_token(client, seeded):
    document = client.get("/api/v1/openapi.json").get_json()
    secured = [
        (method.upper(), re.sub(r"\{\w+\}", "1", path))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation["security"] == [{"bearer": []}]
    ]
    assert ("GET", "/api/v1/me") in secured
    for method, url in secured:
        for headers in ({}, {"Authorization": "Bearer mm_forged"}, {"Authorization": "Basic eDp5"}):
            response = client.open(url, method=method, headers=headers, json={})
            assert response.status_code == 401, (method, url, headers)
            assert response.mimetype == "application/problem+json"
