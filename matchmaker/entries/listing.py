"""Search, filter, sort and paginate the lists of scenarios and capabilities."""

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from markupsafe import Markup, escape
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    table,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import defer
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import Session, col, select

from matchmaker.dashboard import rollup
from matchmaker.entries import deadlines
from matchmaker.entries.indexing import normalize_for_search, search_words, word_terms
from matchmaker.entries.reference import QUALIFICATIONS
from matchmaker.evidence.claims import holds_verified
from matchmaker.web.security import parse_int
from models import Batch, BatchStatus, Capability, Scenario
from models._search import fts_table

Entry = type[Scenario] | type[Capability]
MAX_BUDGET = 1_000_000  # 万元, the most a scenario's budget may state
# A search matching more entries than this says "1,000+": counting them all would read them
# all. Its pages stop there, and "best match" ranks the newest this many (see `search`).
COUNT_CAP = 1000
# A card shows its description only without a summary, as `description|truncate(120)`; Jinja
# keeps up to 5 characters more before it cuts, so the first 126 decide what a card shows.
CARD_TEXT = 126

# Where a query word is found, and how much that counts towards an entry's relevance: the
# word itself above any other name of its concept, in the title above anywhere else.
WEIGHTS = {("word", "title"): 8, ("word", "text"): 4, ("alias", "title"): 2, ("alias", "text"): 1}


class Order(NamedTuple):
    """A list's order: one column, then the id to break ties."""

    key: Any
    descending: bool
    id_descending: bool

    def by(self, model: Entry) -> list[Any]:
        """The ORDER BY clauses."""
        key, ident = col(self.key), col(model.id)
        return [
            key.desc() if self.descending else key.asc(),
            ident.desc() if self.id_descending else ident.asc(),
        ]

    def reversed(self) -> "Order":
        """The same order read backwards (for the page before a cursor)."""
        return Order(self.key, not self.descending, not self.id_descending)


class Parted(NamedTuple):
    """An order in parts: the rows meeting each part's condition come in turn, each part in
    its own order. The parts share the id's direction, which breaks ties in all of them."""

    parts: tuple[tuple[ColumnElement[bool], Order], ...]

    def part_of(self) -> ColumnElement[int]:
        """The number of the part a row is in."""
        return case(*[(condition, n) for n, (condition, _) in enumerate(self.parts)])

    def by(self, model: Entry) -> list[Any]:
        """The ORDER BY clauses: the part, then each part's key within its own rows."""
        part = self.part_of()
        clauses: list[Any] = [part]
        for n, (_, order) in enumerate(self.parts):
            key = case((part == n, col(order.key)))
            clauses.append(key.desc() if order.descending else key.asc())
        ident = col(model.id)
        return clauses + [ident.desc() if self.parts[0][1].id_descending else ident.asc()]

    def reversed(self) -> "Parted":
        """The same order read backwards (for the page before a cursor)."""
        return Parted(tuple((c, order.reversed()) for c, order in reversed(self.parts)))


def _by_deadline(model: Entry, today: date) -> Parted:
    """Soonest deadline first among the open scenarios, then those without a deadline, then
    the lapsed ones, the most recently closed first: a deadline already past is not "soon"."""
    deadline = col(model.deadline)
    return Parted(
        (
            (deadline >= today, Order(model.deadline, False, False)),
            (deadline.is_(None), Order(model.id, False, False)),
            (deadline < today, Order(model.deadline, True, False)),
        )
    )


SORTS = {
    "newest": lambda m, _today: Order(m.published_at, True, True),
    "title": lambda m, _today: Order(m.title, False, False),
    "deadline": _by_deadline,
    "budget": lambda m, _today: Order(m.budget_max_wan, True, False),
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
    after: int | None = None  # the id of the entry this page follows (a keyset cursor)
    before: int | None = None  # the id of the entry this page precedes
    qualification: str = ""  # capabilities whose firm holds it, verified and in force


class Page(NamedTuple):
    items: list
    total: int
    page: int
    pages: int
    capped: bool = False  # more than `total` match (COUNT_CAP): shown as "1,000+"
    keyset: bool = False  # the pages next to this one are found from its first and last rows

    @property
    def cursors(self) -> tuple[int | None, int | None]:
        """The ids of the first and last items: the cursors of the pages before and after."""
        if not self.keyset or not self.items:
            return None, None
        return self.items[0].id, self.items[-1].id


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
        after=parse_int(args.get("after")),
        before=parse_int(args.get("before")),
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


def budget_conditions(budget_min: int | None, budget_max: int | None) -> list[Any]:
    """Scenarios whose budget range reaches into the one asked for; none without a budget."""
    conditions = []
    if budget_min is not None:
        conditions.append(col(Scenario.budget_max_wan) >= budget_min)
    if budget_max is not None:
        low = func.coalesce(Scenario.budget_min_wan, Scenario.budget_max_wan)
        conditions.append(low <= budget_max)
    return conditions


class IndexHolds(ColumnElement[bool]):
    """The condition that an entry's search index holds, for each group, every term of one of
    the group's alternatives (a word's names: the word, then its concept's other names).

    Written per database (below): PostgreSQL asks the GIN index on `search_terms`, SQLite the
    FTS5 table beside the entry's table.
    """

    type = Boolean()
    inherit_cache = False  # its own key, below: the terms are part of the statement's text
    # The entry type and the terms are the whole of the condition: a statement searching the
    # same words again is compiled once (a third of a search's work before).
    _traverse_internals = [
        ("model", InternalTraversal.dp_plain_obj),
        ("groups", InternalTraversal.dp_plain_obj),
    ]

    def __init__(self, model: Entry, groups: list[list[list[str]]]) -> None:
        self.model = model
        self.groups = tuple(tuple(map(tuple, group)) for group in groups)


@compiles(IndexHolds, "postgresql")
def _gin(element: IndexHolds, compiler: Any, **kw: Any) -> str:
    terms = type_coerce(element.model.search_terms, ARRAY(Text))
    # One look-up for every word that has no other names; one per alternative otherwise.
    plain = [term for group in element.groups if len(group) == 1 for term in group[0]]
    conditions = [terms.contains(list(dict.fromkeys(plain)))] if plain else []
    conditions += [
        or_(*(terms.contains(list(alternative)) for alternative in group))
        for group in element.groups
        if len(group) > 1
    ]
    return "(" + compiler.process(and_(*conditions), **kw) + ")"


@compiles(IndexHolds, "sqlite")
def _fts5(element: IndexHolds, compiler: Any, **kw: Any) -> str:
    fts = fts_table(element.model.__tablename__)
    # Terms are letters and digits only (indexing.word_terms), so quoting cannot be escaped.
    expression = " AND ".join(
        "(" + " OR ".join("(" + " ".join(f'"{t}"' for t in alt) + ")" for alt in group) + ")"
        for group in element.groups
    )
    found = select(literal_column("rowid")).select_from(table(fts))
    found = found.where(literal_column(fts).op("MATCH")(expression))
    return compiler.process(col(element.model.id).in_(found), **kw)


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
    another name of its concept.

    LIKE decides; the search index first narrows the rows LIKE reads to those holding every
    pair of characters of a word (a word without letters or digits is left to LIKE alone).
    For a word of one or two letters or digits the index decides alone: a text holds the pair
    exactly when the pair is in its index.
    """
    words = search_words(q)
    groups = [[word_terms(name) for name in names] for names in words]
    indexed = [group for group in groups if all(group)]
    if indexed:
        stmt = stmt.where(IndexHolds(model, indexed))
    said = col(model.search_text)
    for names in words:
        if not all(_exact(name) for name in names):
            stmt = stmt.where(or_(*(_found(said, name, "text") for name in names)))
    return stmt


def _exact(name: str) -> bool:
    """Whether the index alone finds `name`: one or two letters or digits, one index term."""
    return 1 <= len(name) <= 2 and word_terms(name) == [name]


def paged(session: Session, stmt: Any, *, page: int, page_size: int) -> Page:
    """One page of the ordered `stmt`'s rows and their count; past the end, the last page.

    For short lists (an organisation's own entries, the officials' backlog): it counts them
    all and pages with OFFSET.
    """
    total = session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 1), pages)
    items = session.exec(stmt.offset((page - 1) * page_size).limit(page_size)).all()
    return Page(list(items), total, page, pages)


def page_number(text: str | None) -> int:
    """The page asked for in a query string; 1 for anything that is not a sensible page."""
    return max(1, min(parse_int(text) or 1, 10_000))


MACHINE_COLUMNS = ("tokens", "search_text", "search_terms")  # only search and matching read them


def without_machine_columns(model: Entry) -> list[Any]:
    """Load options that leave out the columns only search and matching read."""
    return [defer(getattr(model, name)) for name in MACHINE_COLUMNS]


def card_columns(model: Entry) -> list[Any]:
    """What a list card shows of an entry, and no more: never the matcher tokens, the search
    text or a whole description."""
    description = case(
        (col(model.summary) == "", func.substr(model.description, 1, CARD_TEXT)), else_=""
    )
    shown = ["id", "title", "summary", "field", "district", "tags", "status"]
    shown += ["budget_min_wan", "budget_max_wan", "deadline"] if model is Scenario else []
    shown += ["qualifications", "organisation_id"] if model is Capability else []  # verified claims
    return [getattr(model, name) for name in shown] + [description.label("description")]


def _rows(session: Session, model: Entry, ids: list[int], *, whole: bool) -> list[Any]:
    """The entries with these ids, in this order: as cards show them, or `whole` entries
    without the columns that only search and matching read."""
    if not ids:
        return []
    if whole:
        stmt = select(model).options(*without_machine_columns(model))
    else:
        stmt = select(*card_columns(model))
    found = {row.id: row for row in session.exec(stmt.where(col(model.id).in_(ids)))}
    return [found[i] for i in ids if i in found]


def _capped_count(session: Session, found: Any) -> tuple[int, bool]:
    """How many rows `found` selects, reading no more than COUNT_CAP + 1 of them."""
    n = session.exec(select(func.count()).select_from(found.limit(COUNT_CAP + 1).subquery())).one()
    return min(n, COUNT_CAP), n > COUNT_CAP


def _statuses(query: ListQuery, visible_statuses: tuple[str, ...]) -> tuple[str, ...]:
    return (query.status,) if query.status in visible_statuses else visible_statuses


def _tallied(model: Entry, query: ListQuery) -> bool:
    """Whether the tallies hold the count of a list without words: filtered by status, field,
    district and batch only (no budget, no verified qualification, and no status that hangs
    on today's date)."""
    dated = model is Scenario and query.status in ("published", "closed")
    budget = query.budget_min is not None or query.budget_max is not None
    return not (budget or dated or query.qualification)


def _conditions(
    session: Session,
    model: Entry,
    query: ListQuery,
    visible_statuses: tuple[str, ...],
    today: date,
) -> list[Any]:
    """The filters of `query` (not its words) as SQL conditions.

    A published scenario past its deadline reads as closed (截止) on every page, so the
    status filter counts it as closed, not as published.
    """
    shown = col(model.status).in_(_statuses(query, visible_statuses))
    if model is Scenario and query.status == "published":
        shown = and_(shown, deadlines.open_on(today))
    elif model is Scenario and query.status == "closed" and "published" in visible_statuses:
        lapsed = and_(col(Scenario.status) == "published", not_(deadlines.open_on(today)))
        shown = or_(shown, lapsed)
    conditions = [shown]
    if model is Scenario:
        conditions += budget_conditions(query.budget_min, query.budget_max)
    if model is Capability and query.qualification:
        conditions += holding(session, query.qualification, today=today)
    if query.field:
        conditions.append(model.field == query.field)
    if query.district:
        conditions.append(model.district == query.district)
    if query.batch is not None:
        conditions.append(model.batch_id == query.batch)
    return conditions


def _after(
    session: Session, model: Entry, found: Any, order: Order, cursor: int, size: int
) -> list[int] | None:
    """The ids of up to `size` rows of `found` that follow the row `cursor` in `order`
    (keyset pagination: as fast on page 5,000 as on page 2); None if that row is gone.

    Rows without the key (NULL) come first or last depending on the database, so they are
    read as a segment of their own, before or after the rest.
    """
    row = session.exec(select(model.id, order.key).where(model.id == cursor)).first()
    if row is None:
        return None
    value = row[1]
    key, ident = col(order.key), col(model.id)
    after_id = ident < cursor if order.id_descending else ident > cursor
    # PostgreSQL sorts NULL above every value, SQLite below.
    nulls_high = session.get_bind().dialect.name == "postgresql"
    nulls_first = order.descending == nulls_high
    if value is None:
        segments = [and_(key.is_(None), after_id)] + ([key.is_not(None)] if nulls_first else [])
    else:
        beyond = key < value if order.descending else key > value
        reached = key <= value if order.descending else key >= value
        # `reached` bounds an index range; `beyond or after_id` then skips the ties passed.
        segments = [and_(reached, or_(beyond, after_id))]
        segments += [] if nulls_first else [key.is_(None)]
    ids: list[int] = []
    for segment in segments:
        stmt = found.where(segment).order_by(*order.by(model)).limit(size - len(ids))
        ids += session.exec(stmt).all()
        if len(ids) == size:
            break
    return ids


def _parts(order: Order | Parted) -> tuple[tuple[ColumnElement[bool] | None, Order], ...]:
    return order.parts if isinstance(order, Parted) else ((None, order),)


def _following(
    session: Session, model: Entry, found: Any, order: Order | Parted, cursor: int, size: int
) -> list[int] | None:
    """`_after` for an order in parts: the rest of the cursor's part, then the next parts,
    each read along its own index."""
    if isinstance(order, Order):
        return _after(session, model, found, order, cursor, size)
    part = session.exec(select(order.part_of()).where(model.id == cursor)).first()
    if part is None:
        return None
    ids = _after(
        session, model, found.where(order.parts[part][0]), order.parts[part][1], cursor, size
    )
    if ids is None:
        return None
    for condition, within in order.parts[part + 1 :]:
        if len(ids) == size:
            break
        ids += _from(session, model, found.where(condition), within, 0, size - len(ids))
    return ids


def _from(
    session: Session, model: Entry, found: Any, order: Order | Parted, skip: int, size: int
) -> list[int]:
    """Up to `size` ids of `found` in `order` after the first `skip`; an order in parts is
    read part by part (each along its own index), counting a part only to skip it whole."""
    ids: list[int] = []
    for condition, within in _parts(order):
        rows = found if condition is None else found.where(condition)
        if skip and condition is not None:
            held = session.exec(select(func.count()).select_from(rows.subquery())).one()
            if skip >= held:
                skip -= held
                continue
        stmt = rows.order_by(*within.by(model)).offset(skip).limit(size - len(ids))
        ids += session.exec(stmt).all()
        skip = 0
        if len(ids) == size:
            break
    return ids


def search(
    session: Session,
    model: Entry,
    query: ListQuery,
    *,
    visible_statuses: tuple[str, ...],
    today: date,
    page_size: int = 20,
    whole: bool = False,
) -> Page:
    """The page of entries matching `query` among those in `visible_statuses`: as cards show
    them, or (`whole`) whole entries but for the columns only search and matching read.

    A search reads its first COUNT_CAP + 1 matches in one go: more than COUNT_CAP read as
    "1,000+" (`Page.capped`) and its pages stop there. "Best match" ranks every match when
    there are at most COUNT_CAP of them (always on today's lists); beyond that it ranks the
    newest COUNT_CAP, since ranking all would read them all. A list without words is counted
    by the tallies (dashboard.rollup; with a budget or a dated status, up to COUNT_CAP), and
    its pages come by keyset (`query.after`, `query.before`: the ids of the rows next to the
    page) or by OFFSET over the narrow ids alone: as quick on page 5,000 as on page 2.
    """
    words = search_words(query.q)
    conditions = _conditions(session, model, query, visible_statuses, today)
    found = matching(select(model.id).where(*conditions), model, query.q)
    order = SORTS["newest" if query.sort == "relevance" else query.sort](model, today)
    if words:
        # One read: the first COUNT_CAP + 1 matches in order (the newest, for "best match",
        # scored as they are read). Their number is the count; pages are cut from them.
        columns = [model.id]
        if query.sort == "relevance":
            columns += [_relevance(col(model.search_text), words), model.published_at]
        stmt = matching(select(*columns).where(*conditions), model, query.q)
        stmt = stmt.order_by(*order.by(model))
        rows = list(session.exec(stmt.limit(COUNT_CAP + 1)))
        total, capped = min(len(rows), COUNT_CAP), len(rows) > COUNT_CAP
        if query.sort == "relevance":
            nulls_high = session.get_bind().dialect.name == "postgresql"
            rows = sorted(rows[:COUNT_CAP], key=lambda row: _ranked(row, nulls_high), reverse=True)
            rows = [row[0] for row in rows]
        pages = max(1, math.ceil(total / page_size))
        page = min(query.page, pages)
        ids = rows[(page - 1) * page_size : page * page_size]
        return Page(_rows(session, model, ids, whole=whole), total, page, pages, capped)
    if _tallied(model, query):
        total, capped = (
            rollup.count_entries(
                session,
                model,
                statuses=_statuses(query, visible_statuses),
                field=query.field,
                district=query.district,
                batch=query.batch,
            ),
            False,
        )
    else:
        total, capped = _capped_count(session, found)
    pages = max(1, math.ceil(total / page_size))
    page = min(query.page, pages)
    ids: list[int] | None = None
    if query.after is not None:
        ids = _following(session, model, found, order, query.after, page_size)
    elif query.before is not None:
        ids = _following(session, model, found, order.reversed(), query.before, page_size)
        ids = ids[::-1] if ids is not None else None
    if not ids:  # no cursor, a cursor gone, or one past the end
        ids = _from(session, model, found, order, (page - 1) * page_size, page_size)
    return Page(_rows(session, model, ids, whole=whole), total, page, pages, capped, keyset=True)


def _ranked(row: Any, nulls_high: bool) -> tuple:
    """A match's place in "best match" order, highest first: its score, then newest (NULL
    where the database puts it: above every time on PostgreSQL, below on SQLite), then id."""
    ident, score, published = row
    unpublished = published is None if nulls_high else published is not None
    return (score, unpublished, published.timestamp() if published else 0.0, ident)


@lru_cache(maxsize=4096)
def _folded(text: str) -> str:
    """`text` normalised where that keeps its length, else in lower case. Kept per process:
    a list's cards come again with every search (normalising costs ~15 µs a text)."""
    folded = normalize_for_search(text)
    return folded if len(folded) == len(text) else text.lower()


@lru_cache(maxsize=256)
def _terms_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))


def highlight(text: str, terms: Sequence[str]) -> Markup:
    """`text`, escaped, with each occurrence of a search term wrapped in <mark>.

    Terms are normalised (Simplified, lower case) and the text may be Traditional, so the
    text is normalised too; where that keeps its length (it does for t2s characters and
    case), positions carry over to the original characters.
    """
    if not terms or not text:
        return escape(text)
    folded = _folded(text)
    pattern = _terms_pattern(tuple(terms))
    if pattern.search(folded) is None:
        return escape(text)  # most tags and many titles: no piece to mark
    out, last = [], 0
    for found in pattern.finditer(folded):
        out += [escape(text[last : found.start()]), Markup("<mark>")]
        out += [escape(text[found.start() : found.end()]), Markup("</mark>")]
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def batches(session: Session, *, drafts: bool = False) -> list[Batch]:
    """Batches for a filter menu, newest first; draft batches only where asked (staff pages)."""
    stmt = select(Batch).order_by(col(Batch.year).desc(), col(Batch.number).desc())
    if not drafts:
        stmt = stmt.where(Batch.status == BatchStatus.published)
    return list(session.exec(stmt))
