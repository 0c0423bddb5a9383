"""What an explanation may say, without the matcher's libraries (the web app reads it too).

A part of a score "shows" when its two-decimal breakdown prints it as at least 0.01
(``VISIBLE``), and every part that shows has a reason: ``PART_OF`` names the part each reason
code explains. Shared terms are only words that tell a reader something (``telling``), and
two concept forms are "the same thing in other words" only when the concept data puts them in
one set of equivalents (``same_thing``); other forms of one group are related topics.
"""

from __future__ import annotations

from functools import cache

from .text import concept_forms, concept_groups, data_lines, group_id, normalize, stopwords

VISIBLE = 0.005  # a part this large prints as at least 0.01 in the score's breakdown

# The parts that sum over the words two entries share: the shared terms explain them, or
# ``common_words`` where no shared word is one an explanation lists.
WORD_PARTS = ("lexical", "bm25", "coverage")

# The part of the score each reason code explains (docs/matcher.md); a missing qualification
# explains none.
PART_OF = {
    "common_words": "lexical",  # and the other WORD_PARTS
    "coverage": "coverage",
    "concept": "concept",
    "related_concept": "concept",
    "same_concept": "concept",  # both sides name one concept with the same word
    "latent": "latent",  # stored before the codes below named whose words they are
    "latent_firm": "latent",  # asked for a scenario: the firm's words
    "latent_scenario": "latent",  # asked for a firm: the scenario's words
    "near_best_capabilities": "feedback",
    "near_best_scenarios": "feedback",
    "fuzzy_title": "fuzzy_title",
    "fuzzy_tags": "fuzzy_tags",
    "same_field": "field",
    "related_field": "field",
    "same_district": "district",
    "qualification": "qualification",
    "budget_fit": "budget",
}

_NUMBER = "0123456789.,%"


@cache
def _plain_words() -> frozenset[str]:
    generic = (normalize(w) for line in data_lines("generic_words.txt") for w in line.split())
    return stopwords() | frozenset(generic)


def telling(word: str) -> bool:
    """Whether ``word`` tells a reader something as a shared term: not a single character, a
    bare number, a stop word or a word every entry uses (``data/generic_words.txt``), unless
    it names a concept (12345)."""
    if word in concept_forms():
        return True
    # A bare number is all digits and separators: nothing is left once they are stripped.
    return len(word) > 1 and word.strip(_NUMBER) != "" and word not in _plain_words()


@cache
def _senses() -> dict[tuple[str, str], int]:
    # (group id, form as looked up) -> which set of equivalents of the group holds the form.
    return {
        (group_id(group), _key(form)): number
        for group in concept_groups()
        for number, equivalents in enumerate(group)
        for form in equivalents
    }


def _key(form: str) -> str:
    # "NB-IoT", "NBIoT" and "nb-iot" are one form, as to the concept lookup.
    return normalize(form).strip().replace("-", "")


@cache
def _groups_of() -> dict[str, frozenset[str]]:
    return {_key(form): frozenset(groups) for form, (_, groups) in concept_forms().items()}


def equivalent(group: str, a: str, b: str) -> bool:
    """Whether forms ``a`` and ``b`` (tokens or display forms) of ``group`` name one thing,
    rather than two related topics of it (OCR and 光学字符识别, not 井盖 and 路灯)."""
    senses = _senses()
    sense = senses.get((group, _key(a)))
    return sense is not None and sense == senses.get((group, _key(b)))


def same_thing(a: str, b: str) -> bool:
    """Whether forms ``a`` and ``b`` are equivalents in some concept group."""
    groups = _groups_of()
    shared = groups.get(_key(a), frozenset()) & groups.get(_key(b), frozenset())
    return any(equivalent(group, a, b) for group in shared)
