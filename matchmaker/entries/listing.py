"""Search, filter, sort and paginate the lists of scenarios and capabilities."""

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

from markupsafe import Markup, escape
from sqlalchemy import and_, case, cast, exists, func, literal, not_, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, col, select

from matchmaker.entries import deadlines
from matchmaker.entries.indexing import normalize_for_search, search_words
from matchmaker.entries.reference import QUALIFICATIONS
from matchmaker.evidence.claims import holds_verified
from matchmaker.web.security import parse_int
from models import Batch, BatchStatus, Capability, Scenario

Entry = type[Scenario] | type[Capability]
MAX_BUDGET = 1_000_000  # 万元, the most a scenario's budget may state

# Where a query word is found, and how much that counts towards an entry's relevance: the
# word itself above any other name of its concept, in the title above anywhere else.
WEIGHTS = {("word", "title"): 8, ("word", "text"): 4, ("alias", "title"): 2, ("alias", "text"): 1}

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
    budget_min: int | None = None  # 万元; scenarios whose budget range reaches into this one
    budget_max: int | None = None
    qualification: str = ""  # capabilities whose firm holds it, verified and in force


class Page(NamedTuple):
    items: list
    total: int
    page: int
    pages: int


def sorts_for(model: Entry) -> list[str]:
    """The sort keys that make sense for `model` (capabilities have no deadline or budget).

    "relevance", the default, puts the best match first; without words to match, every entry
    is as relevant as the next and the newest come first.
    """
    return ["relevance", "newest", "title"] + (["deadline", "budget"] if model is Scenario else [])


def parse_query(args: Mapping[str, str], model: Entry) -> ListQuery:
    """Read the list parameters leniently: unknown values fall back to defaults, never error."""
    sort = args.get("sort", "relevance")
    if sort not in sorts_for(model):
        sort = "relevance"
    batch = args.get("batch", "")
    page = args.get("page", "1")
    budget_min, budget_max = (
        (parse_int(args.get(name), most=MAX_BUDGET) for name in ("budget_min", "budget_max"))
        if model is Scenario
        else (None, None)
    )
    qualification = args.get("qualification", "") if model is Capability else ""
    return ListQuery(
        q=args.get("q", "").strip()[:100],
        field=args.get("field", "")[:40],
        district=args.get("district", "")[:40],
        status=args.get("status", "")[:20],
        batch=parse_int(batch),
        sort=sort,
        page=page_number(page),
        budget_min=budget_min,
        budget_max=budget_max,
        qualification=qualification if qualification in QUALIFICATIONS else "",
    )


def _like(text: str) -> str:
    """`text` for a LIKE pattern: the wildcards a user types are matched literally."""
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def _found(column: Any, name: str, where: str) -> Any:
    """The condition that `name` occurs in the entry's title, or anywhere in its text."""
    tail = "%\n%" if where == "title" else "%"
    return column.like("%" + _like(name) + tail, escape="\\")


def _relevance(column: Any, words: list[tuple[str, ...]]) -> Any:
    """How well an entry's search text answers the words, as a SQL sum of WEIGHTS.

    A concept's other names count once however many are found (字符识别 is inside
    光学字符识别), so an entry that says the word itself is never outranked by synonyms.
    """
    score: Any = literal(0)
    for word, *aliases in words:
        for where in ("title", "text"):
            score = score + case((_found(column, word, where), WEIGHTS["word", where]), else_=0)
            if aliases:
                found = or_(*(_found(column, alias, where) for alias in aliases))
                score = score + case((found, WEIGHTS["alias", where]), else_=0)
    return score


def _budget_conditions(query: ListQuery) -> list[Any]:
    """Scenarios whose budget range reaches into the one asked for; none without a budget."""
    conditions = []
    if query.budget_min is not None:
        conditions.append(col(Scenario.budget_max_wan) >= query.budget_min)
    if query.budget_max is not None:
        low = func.coalesce(Scenario.budget_min_wan, Scenario.budget_max_wan)
        conditions.append(low <= query.budget_max)
    return conditions


def lists(session: Session, column: Any, value: str) -> Any:
    """The condition that the JSON list in `column` holds `value` (each database its way)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(column, JSONB).contains([value])
    items = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(items).where(items.c.value == value))


def holding(session: Session, qualification: str, *, today: date) -> list[Any]:
    """Capabilities that list `qualification` and whose firm's evidence for it is in force.

    An unbacked, expired or rejected claim does not count: this filter is what the public
    sees marked as verified.
    """
    return [
        lists(session, Capability.qualifications, qualification),
        holds_verified(Capability.organisation_id, qualification, today=today),
    ]


def matching(stmt: Any, model: Entry, q: str) -> Any:
    """`stmt` narrowed to entries whose search text holds every word of `q`, itself or as
    another name of its concept."""
    text = col(model.search_text)
    for names in search_words(q):
        stmt = stmt.where(or_(*(_found(text, name, "text") for name in names)))
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
    today: date,
    page_size: int = 20,
) -> Page:
    """The page of entries matching `query` among those in `visible_statuses`.

    A published scenario past its deadline reads as closed (截止) on every page, so the
    status filter counts it as closed, not as published.
    """
    statuses = (query.status,) if query.status in visible_statuses else visible_statuses
    shown = col(model.status).in_(statuses)
    if model is Scenario and query.status == "published":
        shown = and_(shown, deadlines.open_on(today))
    elif model is Scenario and query.status == "closed" and "published" in visible_statuses:
        lapsed = and_(col(Scenario.status) == "published", not_(deadlines.open_on(today)))
        shown = or_(shown, lapsed)
    stmt = matching(select(model).where(shown), model, query.q)
    if model is Scenario:
        stmt = stmt.where(*_budget_conditions(query))
    if model is Capability and query.qualification:
        stmt = stmt.where(*holding(session, query.qualification, today=today))
    if query.field:
        stmt = stmt.where(model.field == query.field)
    if query.district:
        stmt = stmt.where(model.district == query.district)
    if query.batch is not None:
        stmt = stmt.where(model.batch_id == query.batch)
    order = SORTS["newest" if query.sort == "relevance" else query.sort](model)
    words = search_words(query.q)
    if query.sort == "relevance" and words:
        order = [_relevance(col(model.search_text), words).desc(), *order]
    return paged(session, stmt.order_by(*order), page=query.page, page_size=page_size)


def highlight(text: str, terms: Sequence[str]) -> Markup:
    """`text`, escaped, with each occurrence of a search term wrapped in <mark>.

    Terms are normalised (Simplified, lower case) and the text may be Traditional, so the
    text is normalised too; where that keeps its length (it does for t2s characters and
    case), positions carry over to the original characters.
    """
    if not terms or not text:
        return escape(text)
    folded = normalize_for_search(text)
    if len(folded) != len(text):
        folded = text.lower()
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    out, last = [], 0
    for found in pattern.finditer(folded):
        out += [escape(text[last : found.start()]), Markup("<mark>")]
        out += [escape(text[found.start() : found.end()]), Markup("</mark>")]
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def batches(session: Session, *, include_drafts: bool = False) -> list[Batch]:
    """Batches for a filter menu, newest first; draft batches only where asked (staff pages)."""
    stmt = select(Batch).order_by(col(Batch.year).desc(), col(Batch.number).desc())
    if not include_drafts:
        stmt = stmt.where(Batch.status == BatchStatus.published)
    return list(session.exec(stmt))
