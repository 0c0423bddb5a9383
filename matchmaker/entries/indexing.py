"""Domain rules shared by scenarios and capabilities: indexing text for search and matching."""

import re
from functools import cache

from matchmaker.matching.text import analyze, concept_groups, normalize
from models import Capability, Scenario


def normalize_for_search(text: str) -> str:
    """The form both stored text and queries take: NFKC, Simplified, lower case."""
    return normalize(text)


# Every text a reader can see on the entry's page is searchable, not only the description.
SEARCHED = {
    Scenario: ("summary", "description", "problem", "target_users", "current_state",
               "expected_outcome", "tags", "field", "district"),
    Capability: ("summary", "description", "products", "cases", "qualifications", "tags",
                 "field", "district"),
}  # fmt: skip


def search_text(entry: Scenario | Capability) -> str:
    """The title, a line break, then every other text on one line, all normalised.

    The title alone comes before the only line break, so a search can weigh a word found in
    the title (`LIKE '%word%' || char(10) || '%'`) above one found anywhere.
    """
    parts = []
    for name in SEARCHED[type(entry)]:
        value = getattr(entry, name)
        parts.extend(value if isinstance(value, list) else [value])
    body = " ".join(" ".join(str(part).split()) for part in parts if part)
    return normalize_for_search(" ".join(entry.title.split()) + "\n" + body)


# The letters and digits of a text, run by run: what the search index holds and looks up.
_RUN = re.compile(r"[^\W_]+")


def search_terms(text: str) -> list[str]:
    """The index terms of a normalised search text: every character and every pair of
    neighbouring characters inside a run of letters and digits.

    A search word is found with `LIKE '%word%'`; the index only narrows the rows that LIKE
    then checks, so it must hold every piece of every word a search can find: the pairs of
    characters of any two or more, single characters for a word of one (a two-character
    Chinese word such as 平台 is one term). Segmenting words (jieba) would not do: 数据平台
    contains 据平, a word no segmenter yields, and LIKE finds it.
    """
    terms: dict[str, None] = {}
    for run in _RUN.findall(text):
        terms.update(dict.fromkeys(run))
        terms.update(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
    return list(terms)


def word_terms(word: str) -> list[str]:
    """The index terms every text holding the normalised `word` holds (none for a word
    without letters or digits, which only LIKE can find): its pairs, or its one character."""
    terms: dict[str, None] = {}
    for run in _RUN.findall(word):
        pairs = [run[i : i + 2] for i in range(len(run) - 1)] or [run]
        terms.update(dict.fromkeys(pairs))
    return list(terms)


def index_search(entry: Scenario | Capability) -> None:
    """Store the normalised search text and its index terms (cheap: no segmentation, but
    for a text holding a Taiwan phrase, ``matching.text``)."""
    entry.search_text = search_text(entry)
    entry.search_terms = search_terms(entry.search_text)


def index_entry(entry: Scenario | Capability) -> None:
    """Store the matcher tokens, the normalised search text and its index terms; call on
    every save."""
    entry.tokens = analyze(entry.title, f"{entry.summary}\n{entry.description}", entry.tags)
    index_search(entry)


@cache
def _also_searched() -> dict[str, tuple[str, ...]]:
    """Each normalised concept form → the normalised forms a search for it also finds.

    A line of matching/data/concepts.txt starts with its broad topic (OCR = 文字识别) and goes
    on with related ones (~ 票据识别 ~ 证照识别): a form of the broad topic finds the whole
    line, any other form only its equivalents (路灯 does not find 井盖, its neighbour).
    """
    names: dict[str, dict[str, None]] = {}
    for group in concept_groups():
        line = dict.fromkeys(normalize(form) for forms in group for form in forms)
        for number, equivalents in enumerate(group):
            forms = dict.fromkeys(normalize(form) for form in equivalents)
            for form in forms:
                names.setdefault(form, {}).update(line if number == 0 else forms)
    return {form: tuple(found) for form, found in names.items()}


def search_words(query: str) -> list[tuple[str, ...]]:
    """Per word of a query, normalised: the word, then the other names it also finds.

    光学字符识别 and OCR name one thing (matching/data/concepts.txt), so either finds both, and
    OCR also finds its narrower jobs (票据识别); 路灯 does not find 井盖, a neighbouring topic
    the matcher weighs but a searcher did not ask for.
    """
    words = []
    for word in dict.fromkeys(normalize_for_search(query).split()):
        others = [name for name in _also_searched().get(word, ()) if name != word]
        words.append((word, *others))
    return words
