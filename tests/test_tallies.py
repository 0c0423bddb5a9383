"""The dashboard's tallies: every write keeps them as a count over every row would give them,
whether it goes through a form, a bulk statement, or raw SQL around the app."""

from datetime import date

import pytest
from listdata import make_batch, make_capability, make_pairing, make_scenario, record_step
from sqlalchemy import text, update
from sqlmodel import Session, select

from matchmaker.dashboard import aggregates, rollup
from matchmaker.dashboard.aggregates import Filters, Scope
from models import (
    DockingStage,
    FirmTally,
    OrgKind,
    Recommendation,
    RecommendationStatus,
    Tally,
    TallyMark,
    User,
)
from support import make_org, make_user


@pytest.fixture
def world(session):
    """Scenarios in two slices, three firms, pairings at every stage and a corrected step."""
    buyer_org = make_org(session, OrgKind.demand, name="重庆市某区政务服务中心")
    buyer = make_user(session, buyer_org)
    batch = make_batch(session)
    hall = make_scenario(session, buyer_org, batch_id=batch.id)
    line = make_scenario(session, buyer_org, title="产线设备联网改造", field="工业互联网",
                         district="两江新区", status="submitted")  # fmt: skip
    firms = [make_org(session, name=f"重庆第{n}号软件有限公司") for n in range(3)]
    ocr = make_capability(session, firms[0])
    gateway = make_capability(session, firms[1], title="工业设备联网网关", field="工业互联网")
    make_capability(session, firms[2], title="从未被推荐的能力")
    make_pairing(session, hall, gateway)
    make_pairing(session, line, ocr, RecommendationStatus.approved)
    signed = make_pairing(session, hall, ocr, RecommendationStatus.published, batch_id=batch.id)
    record_step(session, signed, buyer, DockingStage.contacted)
    wrong = record_step(session, signed, buyer, DockingStage.signed, amount=1280)
    fixed = record_step(session, signed, buyer, DockingStage.signed, on=date(2024, 5, 2),
                        amount=128)  # fmt: skip
    wrong.corrected_by_id = fixed.id
    session.add(wrong)
    session.commit()
    return line, batch


def kept(session: Session) -> tuple[list, list]:
    """The stored tallies, in a comparable order."""

    def rows(model: type) -> list[dict]:
        found = [row.model_dump(exclude={"id"}) for row in session.exec(select(model))]
        return sorted(found, key=lambda row: sorted(map(repr, row.items())))

    return rows(Tally), rows(FirmTally)


def figures(app, session: Session) -> list:
    with app.test_request_context():
        return [
            aggregates.figures(session, Scope(public=public, filters=filters))
            for public in (True, False)
            for filters in (Filters(), Filters(field="工业互联网"), Filters(batch=1))
        ]


def test_tallies_kept_by_every_write_equal_a_recount_from_the_tables(app, session, world):
    line, batch = world
    # A bulk statement, as a batch takes in pairings; an entry moving to another slice.
    session.exec(update(Recommendation).values(batch_id=batch.id))
    line.field = "智慧医疗"
    session.add(line)
    session.commit()
    assert session.exec(select(TallyMark)).all() == []  # every mark settled at its commit
    settled, shown = kept(session), figures(app, session)
    signed = {"subject": "pairing", "level": 5, "count": 1, "amount": 128.0}
    assert any(signed.items() <= row.items() for row in settled[0])  # the correction counts

    rollup.recount(session)
    session.commit()
    assert kept(session) == settled and figures(app, session) == shown


def test_a_write_around_the_app_is_counted_live_until_it_is_settled(app, session, world):
    before = figures(app, session)
    with session.get_bind().begin() as conn:  # no session: nothing settles these marks
        conn.execute(text("UPDATE recommendation SET status = 'published', batch_id = NULL"))
    assert session.exec(select(TallyMark)).all()
    live = figures(app, session)
    assert live != before

    result = app.test_cli_runner().invoke(args=["recount"])
    assert result.exit_code == 0 and "recounted" in result.output
    assert session.exec(select(TallyMark)).all() == []
    assert figures(app, session) == live


def marks(session: Session) -> list[tuple[str, str, str]]:
    session.expire_all()
    return sorted((m.side, m.field, m.district) for m in session.exec(select(TallyMark)))


def test_a_docking_step_marks_its_slice_s_pairings_alone_and_counts_as_a_recount_would(
    app, session, world
):
    before = figures(app, session)
    buyer = session.exec(select(User)).first()
    [pairing] = session.exec(
        select(Recommendation).where(Recommendation.status == RecommendationStatus.recommended)
    ).all()
    with session.get_bind().begin() as conn:  # around the app: the mark stays until settled
        conn.execute(
            text(
                "INSERT INTO dockingevent (recommendation_id, stage, occurred_on, note, reason, "
                "user_id, organisation_id, created_at) VALUES "
                "(:id, 'contacted', '2024-05-03', '', '', :user, :org, '2024-05-03')"
            ),
            {"id": pairing.id, "user": buyer.id, "org": buyer.organisation_id},
        )
    # The step changes a pairing's stage, not the slice's scenarios: only pairings recount.
    assert marks(session) == [("pairing", "智慧政务", "渝北区")]
    live = figures(app, session)
    assert live != before

    assert rollup.settle(session) == 1
    session.commit()
    assert marks(session) == [] and figures(app, session) == live
    settled = kept(session)
    rollup.recount(session)
    session.commit()
    assert kept(session) == settled
