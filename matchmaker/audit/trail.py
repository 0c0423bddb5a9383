"""Reading the audit trail: filters, labels for the objects it names, and a CSV export that is
safe to open in a spreadsheet. The trail is append-only: nothing here edits or deletes its rows.
"""

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from matchmaker.alerts.forms import SEARCH_FIELD_LABELS
from matchmaker.entries.forms import FIELD_LABELS
from matchmaker.web.dates import local_midnight_utc, when
from matchmaker.web.labels import (
    CLAIM_KIND_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    batch_label,
    labelled,
    listed,
    number,
)
from matchmaker.web.security import parse_int
from models import (
    AuditEntry,
    Batch,
    Capability,
    Evidence,
    Organisation,
    Recommendation,
    SavedSearch,
    Scenario,
    User,
)

# Cells a spreadsheet would read as a formula (OWASP "CSV injection"): = + - @, and tab or
# carriage return, which some spreadsheets strip before looking at the first character.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_CHUNK = 500


class AuditQuery(NamedTuple):
    object_type: str
    action: str
    user: str
    date_from: date | None
    date_to: date | None
    page: int


def _parse_date(value: str, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    # Far-off years cannot be turned into UTC bounds (and no entry is from them anyway).
    if day is None or not 2000 <= day.year <= 2999:
        errors.append(_("%(label)s is not a date (YYYY-MM-DD); it was ignored.", label=label))
        return None
    return day


def parse_query(args: Mapping[str, str]) -> tuple[AuditQuery, list[str]]:
    """Read the filters leniently: a bad value is ignored and explained, never an error page."""
    errors: list[str] = []
    page = args.get("page", "1")
    query = AuditQuery(
        object_type=args.get("object_type", "").strip()[:40],
        action=args.get("action", "").strip()[:60],
        user=args.get("user", "").strip()[:254],
        date_from=_parse_date(args.get("date_from", "").strip(), _("From"), errors),
        date_to=_parse_date(args.get("date_to", "").strip(), _("To"), errors),
        page=max(1, min(parse_int(page) or 1, 100_000)),
    )
    if query.date_from and query.date_to and query.date_from > query.date_to:
        errors.append(_("The start date is after the end date, so nothing can match."))
    return query, errors


def filtered(query: AuditQuery):  # type: ignore[no-untyped-def]
    """The audit rows (with their user, if any) matching `query`, newest first."""
    stmt = select(AuditEntry, User).outerjoin(User, col(AuditEntry.user_id) == col(User.id))
    if query.object_type:
        stmt = stmt.where(AuditEntry.object_type == query.object_type)
    if query.action:
        stmt = stmt.where(AuditEntry.action == query.action)
    if query.user:
        needle = query.user.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        stmt = stmt.where(col(User.email).like(f"%{needle}%", escape="\\"))
    if query.date_from:
        stmt = stmt.where(col(AuditEntry.at) >= local_midnight_utc(query.date_from))
    if query.date_to:
        stmt = stmt.where(
            col(AuditEntry.at) < local_midnight_utc(query.date_to + timedelta(days=1))
        )
    return stmt.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())


# What a person recognises an object by, per audited table.
LABELS = {
    "scenario": (Scenario, lambda o: o.title),
    "capability": (Capability, lambda o: o.title),
    "organisation": (Organisation, lambda o: o.name),
    "user": (User, lambda o: o.email),
    "batch": (Batch, batch_label),
    "saved_search": (SavedSearch, lambda o: o.name),
    "evidence": (Evidence, lambda o: f"{o.claim} · {o.filename}"),
}


def object_labels(session: Session, entries: Iterable[AuditEntry]) -> dict[tuple[str, int], str]:
    """Labels for the objects the entries are about, fetched with one query per table."""
    ids: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.object_id is not None:
            ids[entry.object_type].add(entry.object_id)
    labels: dict[tuple[str, int], str] = {}
    for object_type, wanted in ids.items():
        if object_type == "recommendation":
            rows = session.exec(
                select(Recommendation.id, Scenario.title, Capability.title)
                .join(Scenario, col(Scenario.id) == col(Recommendation.scenario_id))
                .join(Capability, col(Capability.id) == col(Recommendation.capability_id))
                .where(col(Recommendation.id).in_(wanted))
            ).all()
            labels.update({(object_type, i): f"{s} ↔ {c}" for i, s, c in rows})
        elif object_type in LABELS:
            model, label = LABELS[object_type]
            for obj in session.exec(select(model).where(col(model.id).in_(wanted))):
                labels[(object_type, obj.id)] = label(obj)
    return labels


# The reader's words for what was done and to what; codes without one are shown as stored.
ACTION_LABELS = {
    "scenario.create": _l("Scenario created"),
    "scenario.update": _l("Scenario edited"),
    "scenario.submit": _l("Scenario submitted for review"),
    "scenario.publish": _l("Scenario published"),
    "scenario.return": _l("Scenario returned to its owner"),
    "capability.create": _l("Capability created"),
    "capability.update": _l("Capability edited"),
    "capability.submit": _l("Capability submitted for review"),
    "capability.publish": _l("Capability published"),
    "capability.return": _l("Capability returned to its owner"),
    "scenario.close": _l("Scenario closed by its owner"),
    "capability.withdraw": _l("Capability withdrawn by its firm"),
    "recommendation.approve": _l("Pairing approved"),
    "recommendation.reject": _l("Pairing rejected"),
    "recommendation.displace": _l("Pairing displaced by a better-fitting new one"),
    "batch.create": _l("Batch opened"),
    "batch.add": _l("Items added to a batch"),
    "batch.remove": _l("Item taken out of a batch"),
    "batch.publish": _l("Batch published"),
    "interest.express": _l("Interest expressed (揭榜)"),
    "interest.accept": _l("Interest accepted"),
    "interest.decline": _l("Interest declined"),
    "docking.step": _l("Docking step recorded"),
    "docking.correct": _l("Docking step corrected"),
    "docking.remind": _l("Reminder sent for a pairing without progress"),
    "import.commit": _l("Spreadsheet imported"),
    "organisation.register": _l("Organisation registered"),
    "organisation.verify": _l("Organisation verified"),
    "organisation.reject": _l("Organisation refused"),
    "organisation.correct": _l("Organisation details corrected, to be checked again"),
    "membership.request": _l("Asked to join an organisation"),
    "membership.approve": _l("Request to join approved"),
    "membership.decline": _l("Request to join declined"),
    "user.active": _l("Account enabled or disabled"),
    "user.password": _l("Password changed"),
    "user.role": _l("Role changed"),
    "user.reset_link": _l("Password reset link issued"),
    "user.password_reset": _l("Password reset through a link"),
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "notification.read": _l("Notification read"),
    "notification.read_all": _l("All notifications read"),
    "saved_search.create": _l("Search saved"),
    "saved_search.update": _l("Saved search edited"),
    "saved_search.delete": _l("Saved search deleted"),
    "saved_search.unsubscribe": _l("Alerts stopped from an e-mail's link"),
    "evidence.upload": _l("Evidence uploaded"),
    "evidence.withdraw": _l("Evidence deleted by its firm"),
    "evidence.approve": _l("Evidence approved"),
    "evidence.reject": _l("Evidence rejected"),
    "evidence.remind": _l("Reminder sent: evidence expires within 30 days"),
    "evidence.lapse": _l("Evidence expired"),
}
OBJECT_LABELS = {
    "scenario": _l("Scenario"),
    "capability": _l("Capability"),
    "recommendation": _l("Pairing"),
    "batch": _l("Batch"),
    "interest": _l("Interest"),
    "dockingevent": _l("Docking step"),
    "organisation": _l("Organisation"),
    "user": _l("Account"),
    "api_token": _l("API token"),
    "notification": _l("Notification"),
    "join_request": _l("Request to join"),
    "saved_search": _l("Saved search"),
    "evidence": _l("Evidence"),
}
CHANGE_LABELS = {
    "status": _l("Status"),
    "note": _l("Note"),
    "reason": _l("Reason"),
    "fields": _l("Fields changed"),
    "pairings": _l("Pairings"),
    "scenarios": _l("Scenarios"),
    "capabilities": _l("Capabilities"),
    "pairing": _l("Pairing"),
    "scenario": _l("Scenario"),
    "capability": _l("Capability"),
    "count": _l("Count"),
    "name": _l("Name"),
    "score": _l("Score"),
    "displaced_by": _l("Displaced by"),
    "cap": _l("Lists one entry may be on"),
    "kind": _l("Type"),
    "frequency": _l("Frequency"),
    "was": _l("Before"),
    "claim": _l("Claim"),
    "filename": _l("File"),
    "until": _l("Valid until"),
    "size": _l("File size (bytes)"),
    "sha256": _l("SHA-256 checksum"),
    "replaces": _l("Replaces file"),
    "recommendation_id": _l("Pairing ID"),
    "pairing_status": _l("Pairing status"),
    "capability_id": _l("Capability ID"),
    "stage": _l("Stage"),
    "occurred_on": _l("Date"),
    "contract_amount_wan": _l("Contract amount (10,000 yuan)"),
    "year": _l("Year"),
    "number": _l("Number within the year"),
    "org": _l("Organisation"),
    "organisation": _l("Organisation"),
    "verified": _l("Verified"),
    "role": _l("Role"),
    "is_active": _l("Active"),
    "id": _l("ID"),
    "expires_at": _l("Expires"),
    "expired": _l("Expired on"),
    "days": _l("Days without progress"),
    "corrects": _l("Corrects step"),
    "reset": _l("Reset link"),
    "user": _l("Account"),
    "organisations": _l("Entries per organisation"),
    "credit_code": _l("Unified social credit code"),
    "district": _l("District"),
    "ids": _l("Entry IDs"),
}
# Changes recorded as [before, after].
TRANSITIONS = {"role"}
# Changes whose values are codes, and the labels the reader knows those codes by.
LIST_LABELS = {name: CHANGE_LABELS[name] for name in ("scenarios", "capabilities")}
CODED_VALUES: dict[str, Mapping[str, object]] = {
    "status": STATUS_LABELS,
    "pairing_status": STATUS_LABELS,
    "stage": STATUS_LABELS,
    "role": ROLE_LABELS,
    "kind": {**CLAIM_KIND_LABELS, **LIST_LABELS},
    "fields": {**SEARCH_FIELD_LABELS, **FIELD_LABELS},
}


def action_label(code: str) -> str:
    """The reader's words for an audited action, e.g. "Items added to a batch"."""
    return str(ACTION_LABELS.get(code, code))


def object_type_label(code: str) -> str:
    """The reader's name for an audited table, e.g. "Pairing" for recommendation."""
    return str(OBJECT_LABELS.get(code, code))


def change_label(key: str) -> str:
    """The reader's name for a key of an audit row's changes."""
    return str(CHANGE_LABELS.get(key, key.replace("_", " ")))


# A time a change recorded with isoformat(): aware (UTC), to the second or finer.
STORED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


def change_value(value: object, key: str = "") -> str:
    """The change recorded under ``key`` as a sentence fragment: codes in the reader's words,
    lists joined, mappings of ids as "#id: value" and of names as "name: value", no repr."""
    if isinstance(value, dict):
        parts = [
            labelled(f"#{k}", change_value(v))
            if str(k).isdigit()
            else labelled(change_label(k), change_value(v, k))
            for k, v in value.items()
        ]
        return listed(parts) or "–"
    if isinstance(value, list) and key in TRANSITIONS and len(value) == 2:
        return " → ".join(change_value(v, key) for v in value)
    if isinstance(value, list):
        return listed(change_value(v, key) for v in value) or "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and STORED_TIME.fullmatch(value):
        return when(datetime.fromisoformat(value))  # stored in UTC, read in China time
    if key == "score" and isinstance(value, float):
        return f"{value:.2f}"  # as the pages show scores
    if isinstance(value, float):
        return number(value)  # 380, not 380.0; 1,250.5 as the pages write amounts
    coded = CODED_VALUES.get(key, {})
    if isinstance(value, str) and value in coded:
        return str(coded[value])
    return "–" if value in (None, "") else str(value)


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The object types and actions that occur, for the filter menus."""
    return {
        "object_types": list(
            session.exec(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))
        ),
        "actions": list(
            session.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
        ),
    }


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: formula-like values get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(session: Session, stmt) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The export, a few hundred rows at a time, each cell made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = [_("Time"), _("User"), _("Action"), _("Object type"), _("Object ID"), _("Object")]
    # As the page says it, then the codes and the record as stored, for whoever processes it.
    writer.writerow(
        [*header, _("Changes"), _("Action code"), _("Object type code"), _("As recorded")]
    )
    yield "\ufeff" + buffer.getvalue()  # the BOM makes Excel read the file as UTF-8
    for chunk in session.exec(stmt.execution_options(yield_per=EXPORT_CHUNK)).partitions():
        labels = object_labels(session, (entry for entry, _user in chunk))
        buffer.seek(0)
        buffer.truncate()
        for entry, user in chunk:
            cells = [
                when(entry.at, "%Y-%m-%d %H:%M:%S"),
                user.email if user else "",
                action_label(entry.action),
                object_type_label(entry.object_type),
                entry.object_id,
                labels.get((entry.object_type, entry.object_id), ""),
                "\n".join(
                    labelled(change_label(key), change_value(value, key))
                    for key, value in entry.changes.items()
                ),
                entry.action,
                entry.object_type,
                json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
            ]
            writer.writerow([safe_cell(cell) for cell in cells])
        yield buffer.getvalue()
