"""How relevant are the alerts? Matched alerts against keyword subscriptions, on the seed labels.

    python benchmarks/alert_precision.py                  # summary; the chosen threshold
    python benchmarks/alert_precision.py --out firms.tsv  # and every firm's figures

The seed lists are loaded into a fresh SQLite database through the app, every seed scenario
is treated as newly published (open, whatever its listed status and deadline), and each seed
firm with published capabilities subscribes three ways:

* matched: "new scenarios that fit my capabilities" (alerts.matches.fits, the function
  publication calls: the fitted matcher scores the scenario against every firm's published
  capabilities; a firm is alerted when its best fit reaches the threshold);
* fields: every new scenario in the fields of its capabilities (the category digest);
* keywords: one saved search per tag of its capabilities, within those fields, through the
  saved searches' own conditions (alerts.searches.conditions, which publication tests too).

A scenario is relevant to a firm when the seed labels (seed/data/qrels.tsv, the rows of
seed/eval/qrels.tsv) grade one of the firm's published capabilities 1 or 2 for it. Precision
is relevant alerts / alerts; recall is relevant alerts / relevant scenarios. Micro figures
pool every firm's alerts; macro figures average the firms that received any alert.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from sqlmodel import SQLModel, col, select

from matchmaker import create_app
from matchmaker.alerts import matches
from matchmaker.alerts.searches import conditions
from matchmaker.commands import seeding
from matchmaker.web.dates import local_today
from matchmaker.web.db import session_scope
from models import (
    Alert,
    Capability,
    CapabilityStatus,
    Frequency,
    Organisation,
    OrgKind,
    SavedSearch,
    Scenario,
    ScenarioStatus,
    SearchKind,
    User,
)

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25)
SHARES = (0.0, 0.5, 0.6, 0.7, 0.8)  # of the new entry's best fit (the blend scores relatively)
TOPS = (3, 5, 10, 30)  # 30: every candidate the matcher scores (matches.CANDIDATES)
DEMO_FIRM = "org-0166"  # supply@demo.cq's firm (seed/data/users.json)


class Figures(NamedTuple):
    alerts: int
    relevant: int  # relevant alerts
    wanted: int  # relevant scenarios

    @property
    def precision(self) -> float | None:
        return self.relevant / self.alerts if self.alerts else None

    @property
    def recall(self) -> float | None:
        return self.relevant / self.wanted if self.wanted else None


def figures(alerted: set[str], relevant: set[str]) -> Figures:
    return Figures(len(alerted), len(alerted & relevant), len(relevant))


def summary(name: str, per_firm: dict[str, Figures]) -> str:
    alerts = sum(f.alerts for f in per_firm.values())
    hits = sum(f.relevant for f in per_firm.values())
    wanted = sum(f.wanted for f in per_firm.values())
    precisions = [f.precision for f in per_firm.values() if f.precision is not None]
    alerted = [f.alerts for f in per_firm.values()]
    return (
        f"{name:<26} alerts {alerts:>6}  per firm median {statistics.median(alerted):>5.1f}"
        f" max {max(alerted):>4}  precision micro {hits / max(alerts, 1):.3f}"
        f" macro {statistics.mean(precisions) if precisions else 0:.3f}"
        f" ({len(precisions)} firms)  recall {hits / max(wanted, 1):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="Write every firm's figures to this TSV.")
    args = parser.parse_args()
    labels: dict[str, set[str]] = defaultdict(set)  # capability code -> relevant scenario codes
    with open(ROOT / "seed" / "eval" / "qrels.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if int(row["grade"]) >= 1:
                labels[row["capability_id"]].add(row["scenario_id"])

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SECRET_KEY": "benchmark",
                "DATABASE_URL": f"sqlite:///{tmp}/alerts.db",
                "INSTANCE_PATH": f"{tmp}/instance",
                "MATCHER_PATH": f"{tmp}/matcher.npz",
            }
        )
        SQLModel.metadata.create_all(app.extensions["engine"])
        with app.test_request_context():
            started = time.perf_counter()
            with session_scope() as session:
                seeding.load(session, today=local_today())
                # Every scenario as if just published: open, whatever its listed status.
                for scenario in session.exec(select(Scenario)):
                    scenario.status, scenario.deadline = ScenarioStatus.published, None
            print(f"Seed loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            with session_scope() as session:
                measure(session, labels, args.out)


def measure(session, labels: dict[str, set[str]], out: Path | None) -> None:  # type: ignore[no-untyped-def]
    today = local_today()
    firms = {
        org.id: org
        for org in session.exec(select(Organisation).where(Organisation.kind == OrgKind.supply))
    }
    capabilities: dict[int, list[Capability]] = defaultdict(list)
    for capability in session.exec(
        select(Capability).where(Capability.status == CapabilityStatus.published)
    ):
        capabilities[capability.organisation_id].append(capability)
    firms = {org_id: org for org_id, org in firms.items() if capabilities[org_id]}
    relevant = {
        org_id: set().union(*(labels.get(c.code or "", set()) for c in caps))
        for org_id, caps in capabilities.items()
        if org_id in firms
    }
    scenarios = list(session.exec(select(Scenario).order_by(Scenario.id)))

    # Matched: each scenario scored once against every firm, as publication does.
    started = time.perf_counter()
    # firm -> scenario code -> (score, rank, share of the scenario's best fit) of the firm's
    # best fit
    best: dict[int, dict[str, tuple[float, int, float]]] = defaultdict(dict)
    for scenario in scenarios:
        fits = matches.fits(
            session,
            scenario,
            set(firms),
            today=today,
            min_score=0.0,
            top=matches.CANDIDATES,
            min_share=0.0,
        )
        top_score = max((fit.found.score for fit in fits.values()), default=0.0)
        for org_id, fit in fits.items():
            share = fit.found.score / top_score if top_score else 0.0
            best[org_id][scenario.code] = (fit.found.score, fit.rank, share)
    matched_seconds = time.perf_counter() - started

    # Keyword subscriptions, through the saved searches' own conditions.
    fields_only: dict[int, SavedSearch] = {}
    keywords: dict[int, list[SavedSearch]] = {}
    for org_id in firms:
        fields = sorted({c.field for c in capabilities[org_id]})
        tags = sorted({t for c in capabilities[org_id] for t in c.tags})
        fields_only[org_id] = SavedSearch(name="fields", fields=fields)
        keywords[org_id] = [SavedSearch(name=t, q=t, fields=fields) for t in tags]
    # Each search run once over every scenario with the conditions that test a new entry.
    codes = select(Scenario.code)
    by_fields = {
        org_id: set(session.exec(codes.where(conditions(SearchKind.scenarios, s, today=today))))
        for org_id, s in fields_only.items()
    }
    by_keywords: dict[int, set[str]] = defaultdict(set)
    for org_id, group in keywords.items():
        for search in group:
            found = session.exec(codes.where(conditions(SearchKind.scenarios, search, today=today)))
            by_keywords[org_id].update(found)

    print(
        f"{len(firms)} firms with published capabilities, {len(scenarios)} scenarios published;"
        f" matched alerts scored in {matched_seconds:.1f} s"
    )
    results: dict[str, dict[int, Figures]] = {}
    for top in TOPS:
        for threshold in THRESHOLDS:
            for least in SHARES:
                results[f"matched >= {threshold}, top {top}, share >= {least}"] = {
                    org_id: figures(
                        {
                            code
                            for code, (score, rank, share) in best[org_id].items()
                            if score >= threshold and rank < top and share >= least
                        },
                        relevant[org_id],
                    )
                    for org_id in firms
                }
    results["fields only"] = {o: figures(by_fields[o], relevant[o]) for o in firms}
    results["fields + tag keywords"] = {o: figures(by_keywords[o], relevant[o]) for o in firms}
    for name, per_firm in results.items():
        print(summary(name, per_firm))

    chosen = f"matched >= {matches.MIN_SCORE}, top {matches.TOP}, share >= {matches.MIN_SHARE}"
    demo = next((o for o, org in firms.items() if org.key == DEMO_FIRM), None)
    if demo is not None:
        print(f"\nDemo firm {firms[demo].name} ({DEMO_FIRM}):")
        for name in (chosen, "fields only", "fields + tag keywords"):
            f = results[name][demo]
            print(
                f"  {name:<26} {f.alerts:>4} alerts, {f.relevant} relevant "
                f"(precision {f.precision if f.precision is not None else float('nan'):.3f}), "
                f"{f.wanted} relevant scenarios"
            )
    better = sum(
        1
        for o in firms
        if results[chosen][o].precision is not None
        and results["fields + tag keywords"][o].precision is not None
        and results[chosen][o].precision >= results["fields + tag keywords"][o].precision
    )
    both = sum(
        1 for o in firms if results[chosen][o].alerts and results["fields + tag keywords"][o].alerts
    )
    print(f"\nFirms where {chosen} is at least as precise as keywords: {better} of {both}")

    # The whole path once, at the chosen threshold: record_published stores what fits said.
    users = {
        org_id: User(
            email=f"firm{org_id}@bench.example",
            name="bench",
            organisation_id=org_id,
            password_hash="-",
        )
        for org_id in firms
    }
    session.add_all(users.values())
    session.flush()
    session.add_all(
        SavedSearch(
            user_id=u.id,
            name="fits",
            kind=SearchKind.scenarios,
            matched=True,
            frequency=Frequency.daily,
        )
        for u in users.values()
    )
    started = time.perf_counter()
    for scenario in scenarios:
        matches.record_published(session, scenario, today=today)
    per_publication = (time.perf_counter() - started) / len(scenarios)
    recorded = session.exec(select(Alert).where(col(Alert.score).is_not(None))).all()
    expected = sum(f.alerts for f in results[chosen].values())
    print(
        f"record_published stored {len(recorded)} alerts (fits at {matches.MIN_SCORE}: "
        f"{expected}), {per_publication * 1000:.0f} ms a publication with {len(users)} followers"
    )
    session.rollback()

    if out is not None:
        with open(out, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter="\t")
            names = [chosen, "fields only", "fields + tag keywords"]
            writer.writerow(
                ["firm", "name"]
                + [f"{n} {c}" for n in names for c in ("alerts", "relevant", "precision")]
                + ["relevant scenarios"]
            )
            for org_id, org in sorted(firms.items(), key=lambda item: item[1].key or ""):
                row = [org.key, org.name]
                for n in names:
                    f_ = results[n][org_id]
                    row += [
                        f_.alerts,
                        f_.relevant,
                        "" if f_.precision is None else f"{f_.precision:.3f}",
                    ]
                writer.writerow(row + [len(relevant[org_id])])
        print(f"Every firm's figures: {out}")

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    print(f"\nCommit {commit}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
