"""Search, filter, sort and paginate the lists of scenarios and capabilities."""

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlmodel import Session, col, select

from matchmaker.entries.indexing import normalize_for_search
from matchmaker.web.security import parse_int
from models import Batch, BatchStatus, Capability, Scenario

Entry = type[Scenario] | type[Capability]

SORTS = {
    "newest": lambda m: [col(m.published_at).desc(), col(m.id).desc()],
    "title": lambda m: [col(m.title), col(m.id)],
    "deadline": lambda m: [col(m.deadline).asc(), col(m.id)],
    "budget": lambda m: [col(m.budget_max_wan).desc(), col(m.id)],
}


class ListQuery(NamedTuple):
    q: str
    field: str
    district: str
    status: str
    batch: int | None
    sort: str
    page: int


class Page(NamedTuple):
    items: list
    total: int
    page: int
    pages: int


def sorts_for(model: Entry) -> list[str]:
    """The sort keys that make sense for `model` (capabilities have no deadline or budget)."""
    return ["newest", "title"] + (["deadline", "budget"] if model is Scenario else [])


def parse_query(args: Mapping[str, str], model: Entry) -> ListQuery:
    """Read the list parameters leniently: unknown values fall back to defaults, never error."""
    sort = args.get("sort", "newest")
    if sort not in sorts_for(model):
        sort = "newest"
    batch = args.get("batch", "")
    return ListQuery(
        q=args.get("q", "").strip()[:100],
        field=args.get("field", "")[:40],
        district=args.get("district", "")[:40],
        status=args.get("status", "")[:20],
        batch=parse_int(batch),
        sort=sort,
        page=page_number(args.get("page")),
    )


def matching(stmt: Any, model: Entry, q: str) -> Any:
    """`stmt` narrowed to entries whose search text holds every word of `q` (as typed)."""
    for word in normalize_for_search(q).split():
        # LIKE wildcards typed by the user are matched literally.
        pattern = "%" + word.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        stmt = stmt.where(col(model.search_text).like(pattern + "%", escape="\\"))
    return stmt


def paged(session: Session, stmt: Any, *, page: int, page_size: int) -> Page:
    """One page of the ordered `stmt`'s rows and their count; past the end, the last page."""
    total = session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 1), pages)
    items = session.exec(stmt.offset((page - 1) * page_size).limit(page_size)).all()
    return Page(list(items), total, page, pages)


def page_number(text: str | None) -> int:
    """The page asked for in a query string; 1 for anything that is not a sensible page."""
    return max(1, min(parse_int(text) or 1, 10_000))


def search(
    session: Session,
    model: Entry,
    query: ListQuery,
    *,
    visible_statuses: tuple[str, ...],
    page_size: int = 20,
) -> Page:
    """The page of entries matching `query` among those in `visible_statuses`."""
    statuses = (query.status,) if query.status in visible_statuses else visible_statuses
    stmt = matching(select(model).where(col(model.status).in_(statuses)), model, query.q)
    if query.field:
        stmt = stmt.where(model.field == query.field)
    if query.district:
        stmt = stmt.where(model.district == query.district)
    if query.batch is not None:
        stmt = stmt.where(model.batch_id == query.batch)
    stmt = stmt.order_by(*SORTS[query.sort](model))
    return paged(session, stmt, page=query.page, page_size=page_size)


def batches(session: Session, *, include_drafts: bool = False) -> list[Batch]:
    """Batches for a filter menu, newest first; draft batches only where asked (staff pages)."""
    stmt = select(Batch).order_by(col(Batch.year).desc(), col(Batch.number).desc())
    if not include_drafts:
        stmt = stmt.where(Batch.status == BatchStatus.published)
    return list(session.exec(stmt))
