"""The seed lists: 458 scenarios and 1000 capabilities, loaded by a command that is safe to rerun."""

import json
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from matchmaker.auth.creditcode import is_valid
from matchmaker.entries.reference import CENTRAL_DISTRICTS, DISTRICTS, FIELDS
from models import Capability, Organisation, Scenario, User

SEED = Path(__file__).resolve().parent.parent / "seed" / "data"


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SEED / name).read_text(encoding="utf-8").splitlines()]


def test_the_seed_lists_read_like_the_2022_lists():
    scenarios, capabilities = rows("scenarios.jsonl"), rows("capabilities.jsonl")
    assert len(scenarios) == 458 and len(capabilities) == 1000
    for entry in scenarios + capabilities:
        assert 80 <= len(entry["description"]) <= 400, entry["id"]
        assert entry["field"] in FIELDS and entry["district"] in DISTRICTS, entry["id"]
    assert {s["field"] for s in scenarios} == set(FIELDS)
    assert set(CENTRAL_DISTRICTS) <= {s["district"] for s in scenarios}
    orgs = json.loads((SEED / "organisations.json").read_text(encoding="utf-8"))
    assert all(is_valid(o["credit_code"]) for o in orgs)
    assert len({o["credit_code"] for o in orgs}) == len(orgs)


def test_seeding_twice_gives_the_same_counts_and_a_search_still_finds(app, session, client):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed"])
        assert result.exit_code == 0, result.output
        assert "458 scenarios, 1000 capabilities" in result.output

    def count(model: type) -> int:
        return session.exec(select(func.count()).select_from(model)).one()

    assert (count(Scenario), count(Capability)) == (458, 1000)
    assert count(User) == 4
    assert count(Organisation) == len(json.loads((SEED / "organisations.json").read_text("utf-8")))
    # A batch holds published entries only, as when officials put one together.
    batched = select(Scenario.status).where(col(Scenario.batch_id).is_not(None)).distinct()
    assert session.exec(batched).all() == ["published"]
    tokens = session.exec(select(Scenario.tokens).limit(1)).one()
    assert tokens["title"], "entries are stored with their matcher tokens"
    # The second run keeps the search text: OCR is said by seven capabilities.
    found = client.get("/capabilities/?q=OCR&lang=en").get_data(as_text=True)
    assert "7 results" in found
