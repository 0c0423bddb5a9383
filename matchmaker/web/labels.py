"""Translated names for stored codes (statuses, roles, reference names), exposed to templates."""

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from babel.numbers import format_decimal
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from matchmaker.matching.reasons import PART_OF, VISIBLE, same_thing, telling
from matchmaker.web.i18n import gettext as _
from matchmaker.web.i18n import in_language, locale_code
from matchmaker.web.names import reference_label
from models.batch import Batch, default_name

STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted for review"),
    "published": _l("Published"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
    "recommended": _l("Recommended"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "pending": _l("Pending"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "contacted": _l("Contacted"),
    "negotiating": _l("Negotiating"),
    "signed": _l("Signed"),
    # Evidence for a claim (evidence.claims.State) and its files (models.EvidenceStatus).
    "unbacked": _l("No evidence yet"),
    "verified": _l("Verified"),
    "expiring": _l("Verified, expiring soon"),
    "expired": _l("Expired"),
    "replaced": _l("Replaced"),
}

CLAIM_KIND_LABELS = {
    "qualification": _l("Qualification"),
    "case": _l("Reference case"),
}

ROLE_LABELS = {
    "member": _l("Member"),
    "org_admin": _l("Organisation admin"),
    "official": _l("Official"),
    "admin": _l("Administrator"),
}

KIND_LABELS = {
    "demand": _l("Demand side"),
    "supply": _l("Supply side"),
    "authority": _l("Authority"),
}


# Why the matcher paired two entries: its reason codes, each with a value to show
# (docs/matcher.md lists them with the part of the score each one explains).
REASON_LABELS = {
    "same_field": _l("Same field: %(value)s"),
    "related_field": _l("Related field: %(value)s"),
    "same_district": _l("Same district: %(value)s"),
    "qualification": _l("Holds %(value)s"),
    "missing_qualification": _l("Lacks %(value)s"),
    "budget_fit": _l("Budget fits (%(value)s × 10,000 yuan)"),
    "concept": _l("Same thing in other words: %(value)s"),
    "coverage": _l("Uses %(value)s of the other entry's wording"),
    "related_concept": _l("Related topics, not the same thing: %(value)s"),
    "same_concept": _l("Both name the concept %(value)s"),
    "latent": _l("On a related topic: %(value)s"),
    "latent_firm": _l("On a related topic, through the firm's words: %(value)s"),
    "latent_scenario": _l("On a related topic, through the scenario's words: %(value)s"),
    "near_best_capabilities": _l(
        "Close to the other firms that best fit this scenario, through the firm's words: %(value)s"
    ),
    "near_best_scenarios": _l(
        "Close to the other scenarios this firm fits best, through the scenario's words: %(value)s"
    ),
    "fuzzy_title": _l("Titles written alike (%(value)s)"),
    "fuzzy_tags": _l("Tags written alike (%(value)s)"),
    "common_words": _l("Only single characters, numbers or common words in common"),
}
# The same reasons when no word an explanation lists carries the part (value "").
BARE_REASON_LABELS = {
    **dict.fromkeys(
        ("latent", "latent_firm", "latent_scenario"),
        _l("On a related topic, through common words"),
    ),
    "near_best_capabilities": _l("Close to the firms that best fit this scenario"),
    "near_best_scenarios": _l("Close to the scenarios this firm fits best"),
}

# The parts a pairing's score is the sum of (matching.MatcherConfig's weights).
PART_LABELS = {
    "lexical": _l("Shared words"),
    "concept": _l("Shared concepts"),
    "latent": _l("Related topics"),
    "bm25": _l("Shared rare words (BM25)"),
    "coverage": _l("Covers the wording"),
    "fuzzy_title": _l("Similar titles"),
    "fuzzy_tags": _l("Similar tags"),
    "field": _l("Field"),
    "district": _l("District"),
    "qualification": _l("Qualifications"),
    "budget": _l("Budget"),
    "feedback": _l("Like its best matches"),
}


def reason_label(code: str, value: str = "") -> str:
    """The reader's sentence for a matcher reason, e.g. "Same district: 渝北区"."""
    if not value and code in BARE_REASON_LABELS:
        return in_language(BARE_REASON_LABELS)[code]
    ours, _, theirs = value.partition("≈")
    if code == "concept" and not same_thing(ours, theirs):
        # Stored before concept groups told equivalents from related topics: a pairing an
        # official has decided keeps its reasons, and must not claim more than they are.
        code, value = "related_concept", f"{ours} / {theirs}"
    label = in_language(REASON_LABELS).get(code)
    if code == "budget_fit":
        value = "≤".join(_amount(number) for number in value.split("≤"))
    value = reference_label(value)  # fields, districts, qualifications; other values as they are
    return label % {"value": value} if label else f"{code}: {value}"


def reason_labels(
    reasons: Iterable[Sequence[str]], parts: Mapping[str, float] | None = None
) -> list[str]:
    """The reader's sentences for a pairing's [code, value] reasons, those for its largest
    parts first (reasons for no part, a missing qualification, last)."""
    parts = parts or {}
    ranked = sorted(reasons, key=lambda reason: -parts.get(PART_OF.get(reason[0], ""), 0.0))
    return [reason_label(code, value) for code, value in ranked]


def score_parts(parts: Mapping[str, float]) -> list[tuple[str, str]]:
    """The parts of a pairing's score that print as at least 0.01, largest first: (reader's
    name, value)."""
    labels = in_language(PART_LABELS)
    ranked = sorted(parts.items(), key=lambda part: part[1], reverse=True)
    return [(labels.get(code, code), f"{value:.2f}") for code, value in ranked if value >= VISIBLE]


def key_terms(terms: Sequence[Sequence[object]], most: int = 5) -> str:
    """The first `most` of a pairing's shared [term, weight] pairs' terms that tell a reader
    something, as a list reads (pairings stored before the matcher left out single
    characters, bare numbers and common words may still hold them)."""
    telling_terms = (str(pair[0]) for pair in terms if telling(str(pair[0])))
    return "、".join(list(telling_terms)[:most])


def district_label(code: str | None) -> str:
    """An entry's district for the reader; none means the whole city (the form's 全市)."""
    return reference_label(code) if code else _("Citywide")


def labelled(label: str, value: str) -> str:
    """The label and its value, with the colon of the reader's language (full-width in Chinese)."""
    return _("%(label)s: %(value)s", label=label, value=value)


def listed(values: Iterable[str]) -> str:
    """The values joined as the reader's language lists them: "a, b"; "a、b" in Chinese."""
    return pgettext("between the items of a list", ", ").join(values)


def status_label(code: str) -> str:
    """The reader's word for a status code."""
    return in_language(STATUS_LABELS).get(code, code)


def wan(amount: float) -> str:
    """An amount in 万元 as the reader's language writes numbers: grouped, with at most two
    decimals and none that are zeros (256.5, 12,345.67, 1,200), the same on every page."""
    return _formatted(amount, "#,##0.##", locale_code())


def number(value: float) -> str:
    """A count as the reader's language groups digits (12,345): Flask-Babel's `numberformat`
    filter, through the same per-process cache."""
    return _formatted(value, None, locale_code())


@lru_cache(maxsize=4096)
def _formatted(value: float, pattern: str | None, locale: str | None) -> str:
    # Babel takes ~40 µs a number: a list prints two budgets a card, the dashboard ~400
    # counts a page, and the same numbers come again and again.
    return format_decimal(value, format=pattern, locale=locale)


def _amount(number: str) -> str:
    """A stored amount in 万元 as ``wan`` writes it; as it is where it is no number."""
    try:
        return wan(float(number))
    except ValueError:
        return number


def budget(scenario: object) -> str:
    """A budget range in 万元, e.g. '50–120 万元'."""
    low = getattr(scenario, "budget_min_wan", None)
    high = getattr(scenario, "budget_max_wan", None)
    if high is None:
        return _("not stated")
    amount = f"{wan(low)}–{wan(high)}" if low is not None and low != high else wan(high)
    return _("%(amount)s × 10,000 yuan", amount=amount)


def batch_label(batch: Batch) -> str:
    """A batch's name for the reader: its usual name, written in the platform's language
    (2023年第一批), reads "Batch 1 of 2023" in another; a name an official typed stays as is."""
    usual = batch.name == default_name(batch.year, batch.number)
    if not usual or locale_code() == current_app.config["BABEL_DEFAULT_LOCALE"]:
        return batch.name
    return _("Batch %(number)d of %(year)d", number=batch.number, year=batch.year)


_USUAL_NAME = re.compile(r"(\d{4})年第(.{1,3})批")


def batch_name_label(name: str) -> str:
    """``batch_label`` of a batch known by its name alone, as a notification keeps it."""
    found = _USUAL_NAME.fullmatch(name)
    if found:
        year = int(found.group(1))
        number = next((n for n in range(1, 100) if default_name(year, n) == name), None)
        if number is not None:
            return batch_label(Batch(name=name, year=year, number=number))
    return name


def init_app(app: Flask) -> None:
    """Register the label helpers as template globals."""
    app.jinja_env.globals.update(
        status_label=status_label,
        role_label=lambda code: in_language(ROLE_LABELS).get(code, code),
        kind_label=lambda code: in_language(KIND_LABELS).get(code, code),
        claim_kind_label=lambda code: in_language(CLAIM_KIND_LABELS).get(code, code),
        budget=budget,
        reason_label=reason_label,
        reference_label=reference_label,
    )
    # As a filter too, for lists: `qualifications|map("reference_label")|join("、")`.
    app.jinja_env.filters["reference_label"] = reference_label
    # Filters cost a template less than calls: Jinja calls them directly, where a function is
    # called through its context (cards and rows show several each).
    app.jinja_env.filters.update(
        status_label=status_label,
        reason_labels=reason_labels,
        score_parts=score_parts,
        key_terms=key_terms,
        wan=wan,
        numberformat=number,
        batch_label=batch_label,
        district_label=district_label,
    )
