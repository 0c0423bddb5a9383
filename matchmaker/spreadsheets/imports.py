"""Importing scenario and capability lists: check every row, show a preview, then save all or
nothing.

The parsed upload waits between preview and confirmation in the instance folder under a random
token, tied to the user who uploaded it and expiring after an hour; the confirmation validates
it again, so nothing a browser sends back is trusted.
"""

import json
import os
import re
import secrets
import time
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError
from sqlmodel import Session, col, or_, select

from matchmaker.entries import deadlines
from matchmaker.entries.indexing import index_entry, normalize_for_search
from matchmaker.entries.reference import DISTRICTS, FIELDS, QUALIFICATIONS
from matchmaker.pairing import recommend
from matchmaker.records import audit
from matchmaker.spreadsheets.files import (
    DISTRICT_COLUMN,
    FIELD_COLUMN,
    LAYOUTS,
    ORGANISATION_COLUMN,
    Column,
    FileRefused,
    Layout,
    Table,
    column_keys,
    header_key,
    to_date,
    to_list,
    to_number,
    to_text,
)
from matchmaker.web.text import half_width
from models import Capability, CapabilityStatus, Organisation, OrgKind, Scenario, ScenarioStatus

MODELS: dict[str, type[Scenario] | type[Capability]] = {
    "scenarios": Scenario,
    "capabilities": Capability,
}
SIDES = {"scenarios": OrgKind.demand, "capabilities": OrgKind.supply}
STATUSES = {
    "scenarios": {"draft": ScenarioStatus.draft, "submitted": ScenarioStatus.submitted},
    "capabilities": {"draft": CapabilityStatus.draft, "submitted": CapabilityStatus.submitted},
}
TTL_SECONDS = 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class Importer(NamedTuple):
    """Who imports: the user, their organisation, and whether they may name other ones."""

    user_id: int
    organisation_id: int
    staff: bool


class RowError(NamedTuple):
    row: int
    column: str
    message: str


class Preview(NamedTuple):
    kind: str
    entries: list[Any]  # validated Scenario / Capability objects, not in any session
    errors: list[RowError]
    rows: int
    ignored_columns: list[str]
    organisations: dict[int, str]  # id → name of every organisation the entries go to
    example_row: int | None = None  # the template's example row, left out, if it was kept


def kinds_for(*, staff: bool, side: OrgKind | None, verified: bool) -> list[str]:
    """The lists a user may import: officials both, a verified organisation its own side's."""
    if staff:
        return list(MODELS)
    return [kind for kind, kind_side in SIDES.items() if verified and side == kind_side]


# ---- checking -----------------------------------------------------------------------------


def preview(
    session: Session, kind: str, table: Table, *, importer: Importer, today: date
) -> Preview:
    """Check every row of `table` as a `kind` entry; nothing is written."""
    layout = LAYOUTS[kind]
    positions, ignored = check_headers(kind, table.headers, staff=importer.staff)
    resolve = _organisation_resolver(session, kind, table, positions, importer)
    model = MODELS[kind]
    entries, errors, numbers = [], [], []
    example_row = None
    for number, cells in table.rows:
        values, row_errors = _convert(layout, positions, cells, number)
        if _is_example(layout, values):
            example_row = number  # people fill in the template below it and forget it
            continue
        if model is Scenario:
            row_errors += _posting_errors(layout, values, number, today)
        org_id = resolve(number, cells, row_errors)
        # Validated even when a cell already failed, so every problem of the row shows at once
        # (cells that could not be read are left out, and no organisation is a placeholder 0).
        try:
            entry = model.model_validate({**values, "organisation_id": org_id or 0})
        except ValidationError as err:
            row_errors.extend(_pydantic_errors(err, layout, values, number))
        else:
            if not row_errors:
                entries.append(entry)
                numbers.append(number)
        errors.extend(row_errors)
    repeated = _repeated_titles(session, model, layout, entries, numbers)
    if repeated:
        entries = [e for e, n in zip(entries, numbers, strict=True) if n not in repeated]
        errors = sorted([*errors, *repeated.values()], key=lambda error: error.row)
    org_ids = {e.organisation_id for e in entries}
    names = (
        dict(
            session.exec(
                select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(org_ids))
            ).all()
        )
        if org_ids
        else {}
    )
    return Preview(kind, entries, errors, len(table.rows), ignored, names, example_row)


def _repeated_titles(
    session: Session, model: Any, layout: Layout, entries: list[Any], numbers: list[int]
) -> dict[int, RowError]:
    """The rows (by number) whose title their organisation already uses: on an entry of the
    platform that is still live, or on an earlier row of the file. Importing them would make
    a second copy (a list exported and imported again, or a row pasted twice)."""
    ended = ScenarioStatus.closed if model is Scenario else CapabilityStatus.withdrawn
    org_ids = {e.organisation_id for e in entries}
    stored = session.exec(
        select(model.organisation_id, model.title, model.code, model.id).where(
            col(model.organisation_id).in_(org_ids), model.status != ended
        )
    )
    codes = {(org, normalize_for_search(title)): code or f"#{n}" for org, title, code, n in stored}
    header = next(c.header for c in layout.columns if c.attr == "title")
    seen: dict[tuple[int, str], int] = {}
    repeated = {}
    for entry, number in zip(entries, numbers, strict=True):
        key = (entry.organisation_id, normalize_for_search(entry.title))
        if key in codes:
            message = _(
                "Its organisation already has an entry with this title (%(code)s). Edit that "
                "entry on its page, or give this one another title.",
                code=codes[key],
            )
            repeated[number] = RowError(number, header, message)
        elif key in seen:
            message = _("Row %(row)d has the same title for the same organisation.", row=seen[key])
            repeated[number] = RowError(number, header, message)
        seen.setdefault(key, number)
    return repeated


def _is_example(layout: Layout, values: dict[str, Any]) -> bool:
    """Whether a row is the template's own example (its title and description as given)."""
    return all(values.get(name) == layout.example[name] for name in ("title", "description"))


def check_headers(
    kind: str, headers: list[str], *, staff: bool
) -> tuple[dict[str, int], list[str]]:
    """Which cell holds which column, and the ignored headers; a missing required column (or
    one given twice) refuses the whole file."""
    columns = list(LAYOUTS[kind].columns) + ([ORGANISATION_COLUMN] if staff else [])
    by_key = {key: column for column in columns for key in column_keys(column)}
    positions: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        column = by_key.get(header_key(header))
        if column is None:
            if header:
                ignored.append(header)
            continue
        if column.attr in positions:
            raise FileRefused(
                _(
                    "The column %(name)s appears twice. Keep one and upload again.",
                    name=column.header,
                )
            )
        positions[column.attr] = index
    missing = [c.header for c in columns if c.required and c.attr not in positions]
    if missing:
        raise FileRefused(
            _(
                "Missing columns: %(names)s. Download the template to see the layout.",
                names="、".join(missing),
            )
        )
    return positions, ignored


def _convert(
    layout: Layout, positions: dict[str, int], cells: list[Any], number: int
) -> tuple[dict[str, Any], list[RowError]]:
    """The row's cells as model values; cells of the wrong type become row errors."""
    values: dict[str, Any] = {}
    errors = []
    for column in layout.columns:
        if column.attr not in positions:
            continue
        raw = cells[positions[column.attr]]
        try:
            if column.kind == "number":
                values[column.attr] = to_number(raw)
            elif column.kind == "date":
                values[column.attr] = to_date(raw)
            elif column.kind in ("list", "items"):
                values[column.attr] = to_list(raw, items=column.kind == "items")
            else:
                values[column.attr] = to_text(raw)
        except (ValueError, OverflowError, TypeError):
            errors.append(RowError(number, column.header, _type_message(column)))
    for column, allowed in ((FIELD_COLUMN, FIELDS), (DISTRICT_COLUMN, DISTRICTS)):
        value = values.get(column.attr)
        if value and value not in allowed:
            errors.append(RowError(number, column.header, _unknown_message(column, value)))
    if values.get("contact_phone"):
        values["contact_phone"] = half_width(values["contact_phone"])  # as the form reads it
    if values.get("qualifications"):
        named = [_QUALIFICATION_KEYS.get(header_key(q), q) for q in values["qualifications"]]
        values["qualifications"] = list(dict.fromkeys(named))
        header = next(c.header for c in layout.columns if c.attr == "qualifications")
        errors += [
            RowError(number, header, _unknown_qualification(value))
            for value in values["qualifications"]
            if value not in QUALIFICATIONS
        ]
    return values, errors


# A qualification as written in a cell (cmmi5, ＣＭＭＩ５, CMMI 5) -> as the platform records it.
_QUALIFICATION_KEYS = {header_key(q): q for q in QUALIFICATIONS}


def _unknown_qualification(value: str) -> str:
    return _(
        "“%(value)s” is not one of the qualifications the platform records. Use those listed "
        "on the template's fields and districts sheet, separated by ； or 、.",
        value=value,
    )


def _posting_errors(
    layout: Layout, values: dict[str, Any], number: int, today: date
) -> list[RowError]:
    """A past deadline or a malformed phone number, as the scenario form refuses them."""
    headers = {c.attr: c.header for c in layout.columns}
    problems = deadlines.posting_problems(
        values.get("deadline"), values.get("contact_phone") or "", today=today
    )
    return [RowError(number, headers[attr], message) for attr, message in problems.items()]


def _unknown_message(column: Column, value: str) -> str:
    if column is FIELD_COLUMN:
        return _(
            "“%(value)s” is not one of the fields. Use a field listed in the template's notes.",
            value=value,
        )
    return _(
        "“%(value)s” is not a Chongqing district. Use a district listed in the template's notes.",
        value=value,
    )


def _type_message(column: Column) -> str:
    if column.kind == "number":
        return _("Enter a number in units of 10,000 yuan (万元), e.g. 50.")
    if column.kind == "date":
        return _("Enter a date as YYYY-MM-DD, e.g. 2024-06-30.")
    return _("This cell cannot be read as text.")


def _organisation_resolver(
    session: Session, kind: str, table: Table, positions: dict[str, int], importer: Importer
) -> Any:
    """A function giving each row's organisation id (or None after adding a row error)."""
    if not importer.staff:
        return lambda _number, _cells, _errors: importer.organisation_id
    index = positions[ORGANISATION_COLUMN.attr]
    wanted = {to_text(cells[index]) for _n, cells in table.rows} - {""}
    found = (
        session.exec(
            select(Organisation).where(
                or_(col(Organisation.name).in_(wanted), col(Organisation.credit_code).in_(wanted))
            )
        ).all()
        if wanted
        else []
    )
    by_code = {o.credit_code: o for o in found}
    by_name: dict[str, list[Organisation]] = {}
    for org in found:
        by_name.setdefault(org.name, []).append(org)

    def resolve(number: int, cells: list[Any], errors: list[RowError]) -> int | None:
        value = to_text(cells[index])
        candidates = [by_code[value]] if value in by_code else by_name.get(value, [])
        header = ORGANISATION_COLUMN.header
        if not value:
            errors.append(RowError(number, header, _("Name the organisation of this entry.")))
        elif not candidates:
            errors.append(
                RowError(
                    number,
                    header,
                    _("No organisation is registered under “%(value)s”.", value=value),
                )
            )
        elif len(candidates) > 1:
            errors.append(
                RowError(
                    number,
                    header,
                    _(
                        "Several organisations are called “%(value)s”; give the unified social "
                        "credit code instead.",
                        value=value,
                    ),
                )
            )
        elif not candidates[0].verified:
            errors.append(
                RowError(number, header, _("“%(value)s” is not verified yet.", value=value))
            )
        elif candidates[0].kind != SIDES[kind]:
            errors.append(
                RowError(
                    number,
                    header,
                    _("“%(value)s” is not on the side that posts these entries.", value=value),
                )
            )
        else:
            return candidates[0].id
        return None

    return resolve


def _pydantic_errors(
    err: ValidationError, layout: Layout, values: dict[str, Any], number: int
) -> list[RowError]:
    """The model's validation errors, in the user's language, named by column header."""
    headers = {c.attr: c.header for c in layout.columns}
    found = []
    for error in err.errors():
        attr = str(error["loc"][0]) if error["loc"] else "budget_max_wan"
        ctx = error.get("ctx") or {}
        kind = error["type"]
        if kind == "missing" or (kind == "string_too_short" and not values.get(attr)):
            message = _("This column must be filled in.")
        elif kind == "string_too_short":
            message = _("Too short: at least %(n)s characters.", n=ctx.get("min_length"))
        elif kind == "string_too_long":
            message = _("Too long: at most %(n)s characters.", n=ctx.get("max_length"))
        elif kind in ("greater_than_equal", "greater_than"):
            message = _("Must not be below %(n)s.", n=ctx.get("ge", ctx.get("gt")))
        elif kind in ("less_than_equal", "less_than"):
            message = _("Must not be above %(n)s.", n=ctx.get("le", ctx.get("lt")))
        elif attr == "tags":
            message = _("At most 12 tags of up to 30 characters each.")
        elif not error["loc"]:
            message = _("The budget minimum is above the maximum.")
        else:
            message = _("This value is not valid.")
        found.append(RowError(number, headers.get(attr, attr), message))
    return found


# ---- saving -------------------------------------------------------------------------------


NO_ROWS = _l(
    "The file holds no row to import. Fill in your entries under the header row (the example "
    "row is left out) and upload it again."
)


def commit(
    session: Session, checked: Preview, *, status: str, importer: Importer, filename: str
) -> list[Any]:
    """Save every entry of a clean preview in one transaction, or nothing at all."""
    if checked.errors:
        raise FileRefused(
            _("The list still has %(n)s problems; nothing was saved.", n=len(checked.errors))
        )
    if status not in STATUSES[checked.kind]:
        raise FileRefused(_("Choose whether to save the entries as drafts or submit them."))
    if not checked.entries:  # the template as downloaded: an "import" of nothing is no act
        raise FileRefused(str(NO_ROWS))
    for entry in checked.entries:
        entry.status = STATUSES[checked.kind][status]
        index_entry(entry)
        session.add(entry)
    session.flush()
    if status == "submitted":  # as when posted one by one: recommendations at once
        for entry in checked.entries:
            recommend.recommend_entry(session, entry)
    counts: dict[str, int] = {}
    for entry in checked.entries:
        counts[str(entry.organisation_id)] = counts.get(str(entry.organisation_id), 0) + 1
    # One audit row per committed import, on the importing user's organisation: the import is
    # one act, and its row lists where the entries went and their ids, so each entry stays
    # traceable without 10,000 rows of trail for one upload.
    actor = session.get(Organisation, importer.organisation_id)
    audit.record(
        session,
        "import.commit",
        actor,
        {
            "kind": checked.kind,
            "count": len(checked.entries),
            "status": status,
            "filename": filename[:200],
            "organisations": counts,
            "ids": [e.id for e in checked.entries],
        },
        user_id=importer.user_id,
    )
    session.commit()
    return checked.entries


# ---- keeping the upload between preview and confirmation ----------------------------------


class Stash(NamedTuple):
    token: str
    kind: str
    filename: str
    table: Table


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def stash(instance_path: str, *, kind: str, filename: str, table: Table, user_id: int) -> str:
    """Keep a parsed upload for its user; returns the token that names it."""
    purge_expired(instance_path)
    token = secrets.token_urlsafe(32)
    folder = _folder(instance_path)
    payload = {
        "user_id": user_id,
        "kind": kind,
        "filename": filename,
        "created": time.time(),
        "headers": table.headers,
        "rows": table.rows,
    }
    partial = folder / f"{token}.tmp"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False)
    os.replace(partial, folder / f"{token}.json")
    return token


def load_stash(instance_path: str, token: str, *, kind: str, user_id: int) -> Stash | None:
    """The user's kept upload, or None if unknown, expired, another user's or another kind."""
    if not TOKEN.match(token):
        return None
    path = _folder(instance_path) / f"{token}.json"
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if time.time() - payload["created"] > TTL_SECONDS:
        path.unlink(missing_ok=True)
        return None
    if payload["user_id"] != user_id or payload["kind"] != kind:
        return None
    rows = [(number, cells) for number, cells in payload["rows"]]
    return Stash(token, kind, payload["filename"], Table(payload["headers"], rows))


def claim(instance_path: str, token: str) -> bool:
    """Take a kept upload for saving; False if another request (a double click) took it."""
    folder = _folder(instance_path)
    try:
        os.rename(folder / f"{token}.json", folder / f"{token}.claimed")  # atomic
    except OSError:
        return False
    return True


def release(instance_path: str, token: str) -> None:
    """Put a claimed upload back after a failed save, so it can be confirmed again."""
    folder = _folder(instance_path)
    try:
        os.rename(folder / f"{token}.claimed", folder / f"{token}.json")
    except OSError:
        return


def discard(instance_path: str, token: str) -> None:
    """Forget a kept upload, claimed or not."""
    if TOKEN.match(token):
        for suffix in (".json", ".claimed"):
            (_folder(instance_path) / f"{token}{suffix}").unlink(missing_ok=True)


def purge_expired(instance_path: str) -> None:
    """Delete kept uploads older than the time limit (and any half-written ones)."""
    cutoff = time.time() - TTL_SECONDS
    for path in _folder(instance_path).iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


__all__ = ["FileRefused", "Importer", "Preview", "RowError"]
