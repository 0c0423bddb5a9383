"""Translated names for stored codes (statuses, roles, reference names), exposed to templates."""

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.web.names import reference_label

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


# Why the matcher paired two entries: its reason codes, each with a value to show.
REASON_LABELS = {
    "same_field": _l("Same field: %(value)s"),
    "related_field": _l("Related field: %(value)s"),
    "same_district": _l("Same district: %(value)s"),
    "qualification": _l("Holds %(value)s"),
    "missing_qualification": _l("Lacks %(value)s"),
    "budget_fit": _l("Budget fits (%(value)s ten-thousand yuan)"),
    "concept": _l("Same thing in other words: %(value)s"),
}

# The parts a pairing's score is the sum of (matching.MatcherConfig's weights).
PART_LABELS = {
    "lexical": _l("Shared words"),
    "concept": _l("Shared concepts"),
    "latent": _l("Related topics"),
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
    label = REASON_LABELS.get(code)
    value = reference_label(value)  # fields, districts, qualifications; other values as they are
    return str(label) % {"value": value} if label else f"{code}: {value}"


def part_label(code: str) -> str:
    """The reader's name for a part of a pairing's score."""
    return str(PART_LABELS.get(code, code))


def status_label(code: str) -> str:
    """The reader's word for a status code."""
    return str(STATUS_LABELS.get(code, code))


def budget(scenario: object) -> str:
    """A budget range in 万元, e.g. '50–120 万元'."""
    low = getattr(scenario, "budget_min_wan", None)
    high = getattr(scenario, "budget_max_wan", None)
    if high is None:
        return _("not stated")
    amount = f"{low:g}–{high:g}" if low is not None and low != high else f"{high:g}"
    return _("%(amount)s ten-thousand yuan", amount=amount)


def init_app(app: Flask) -> None:
    """Register the label helpers as template globals."""
    app.jinja_env.globals.update(
        status_label=status_label,
        role_label=lambda code: str(ROLE_LABELS.get(code, code)),
        kind_label=lambda code: str(KIND_LABELS.get(code, code)),
        claim_kind_label=lambda code: str(CLAIM_KIND_LABELS.get(code, code)),
        budget=budget,
        reason_label=reason_label,
        part_label=part_label,
        reference_label=reference_label,
    )
    # As a filter too, for lists: `qualifications|map("reference_label")|join("、")`.
    app.jinja_env.filters["reference_label"] = reference_label
