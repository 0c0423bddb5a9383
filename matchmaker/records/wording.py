"""The wording of notifications: one translated sentence per kind, built when it is shown.

Notifications store a kind and plain parameters, never a sentence, so the inbox speaks the
reader's language at the time of reading. Parameters each kind expects:

| kind | params |
|---|---|
| entry.published | title |
| entry.returned | title, reason |
| recommendation.rejected | scenario, capability, reason |
| pairing.published | scenario, capability, batch |
| docking.progress | scenario, capability, org, stage (a DockingStage code) |
| docking.corrected | scenario, capability, org, stage (the corrected step's DockingStage code) |
| docking.reminder | scenario, capability, days |
| interest.received | scenario, org |
| interest.accepted | scenario, org |
| interest.declined | scenario, org, reason |
| organisation.verified | name |
| organisation.rejected | name, reason |
| account.reset_link | name, until (mailed only: the link is a secret) |
| membership.requested | name, org |
| membership.approved | org |
| membership.declined | org, reason (mailed only: the applicant has no inbox) |
| alert.found | search, count, titles (the first few, joined) |
| evidence.approved | claim, kind (qualification / case), until (ISO date, or empty) |
| evidence.rejected | claim, kind, reason |
| evidence.expiring | claim, kind, until, days |
| evidence.expired | claim, kind, on |
"""

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from matchmaker.web.labels import batch_name_label, status_label
from matchmaker.web.names import reference_label


def _claim(params: dict[str, Any]) -> str:
    """The claim a message is about, a qualification in the reader's language."""
    claim = _text(params, "claim")
    return reference_label(claim) if params.get("kind") == "qualification" else claim


def _text(params: dict[str, Any], key: str) -> str:
    """A parameter as text; a missing one reads as empty rather than breaking the inbox."""
    value = params.get(key)
    return "" if value is None else str(value)


MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "entry.published": lambda p: _("“%(title)s” has been published.", title=_text(p, "title")),
    "entry.returned": lambda p: _(
        "“%(title)s” was returned for changes: %(reason)s",
        title=_text(p, "title"),
        reason=_text(p, "reason"),
    ),
    "recommendation.rejected": lambda p: _(
        "The pairing of “%(scenario)s” with “%(capability)s” was not approved: %(reason)s",
        scenario=_text(p, "scenario"),
        capability=_text(p, "capability"),
        reason=_text(p, "reason"),
    ),
    "pairing.published": lambda p: _(
        "The pairing of “%(scenario)s” with “%(capability)s” has been published in %(batch)s.",
        scenario=_text(p, "scenario"),
        capability=_text(p, "capability"),
        batch=batch_name_label(_text(p, "batch")),
    ),
    "docking.progress": lambda p: _(
        "%(org)s recorded “%(stage)s” for the pairing of “%(scenario)s” with “%(capability)s”.",
        org=_text(p, "org"),
        stage=status_label(_text(p, "stage")),
        scenario=_text(p, "scenario"),
        capability=_text(p, "capability"),
    ),
    "docking.corrected": lambda p: _(
        "%(org)s corrected its latest step on the pairing of “%(scenario)s” with "
        "“%(capability)s”; it now reads “%(stage)s”.",
        org=_text(p, "org"),
        scenario=_text(p, "scenario"),
        capability=_text(p, "capability"),
        stage=status_label(_text(p, "stage")),
    ),
    "docking.reminder": lambda p: _(
        "No progress has been recorded for %(days)s days on the pairing of “%(scenario)s” "
        "with “%(capability)s”. Please record how the docking is going.",
        days=_text(p, "days"),
        scenario=_text(p, "scenario"),
        capability=_text(p, "capability"),
    ),
    "interest.received": lambda p: _(
        "%(org)s expressed interest in your scenario “%(scenario)s”.",
        org=_text(p, "org"),
        scenario=_text(p, "scenario"),
    ),
    "interest.accepted": lambda p: _(
        "%(org)s accepted your interest in “%(scenario)s”; officials review the pairing "
        "before it is published.",
        org=_text(p, "org"),
        scenario=_text(p, "scenario"),
    ),
    "interest.declined": lambda p: _(
        "%(org)s declined your interest in “%(scenario)s”: %(reason)s",
        org=_text(p, "org"),
        scenario=_text(p, "scenario"),
        reason=_text(p, "reason"),
    ),
    "organisation.verified": lambda p: _(
        "%(name)s has been verified: you can now submit your drafts for review.",
        name=_text(p, "name"),
    ),
    "organisation.rejected": lambda p: _(
        "An official refused to verify %(name)s: %(reason)s",
        name=_text(p, "name"),
        reason=_text(p, "reason"),
    ),
    "account.reset_link": lambda p: _(
        "%(name)s, an administrator has given you a one-time link to set a new password. "
        "It works once, until %(until)s (China Standard Time).",
        name=_text(p, "name"),
        until=_text(p, "until"),
    ),
    "membership.requested": lambda p: _(
        "%(name)s asks to join %(org)s. Approve or decline the request.",
        name=_text(p, "name"),
        org=_text(p, "org"),
    ),
    "membership.approved": lambda p: _(
        "Welcome: your request to join %(org)s was approved.", org=_text(p, "org")
    ),
    "membership.declined": lambda p: _(
        "Your request to join %(org)s was declined: %(reason)s",
        org=_text(p, "org"),
        reason=_text(p, "reason"),
    ),
    "alert.found": lambda p: _(
        "Your saved search “%(search)s” found %(count)s new: %(titles)s",
        search=_text(p, "search"),
        count=_text(p, "count"),
        titles=_text(p, "titles"),
    ),
    "evidence.approved": lambda p: (
        _(
            "An official verified your evidence for “%(claim)s”; it is valid until %(until)s.",
            claim=_claim(p),
            until=_text(p, "until"),
        )
        if p.get("until")
        else _("An official verified your evidence for “%(claim)s”.", claim=_claim(p))
    ),
    "evidence.rejected": lambda p: _(
        "An official rejected your evidence for “%(claim)s”: %(reason)s",
        claim=_claim(p),
        reason=_text(p, "reason"),
    ),
    "evidence.expiring": lambda p: _(
        "Your evidence for “%(claim)s” expires on %(until)s (in %(days)s days). Upload the "
        "renewed certificate so that the claim stays verified.",
        claim=_claim(p),
        until=_text(p, "until"),
        days=_text(p, "days"),
    ),
    "evidence.expired": lambda p: _(
        "Your evidence for “%(claim)s” expired on %(on)s. The claim is no longer shown as "
        "verified and no longer counts in matching until a renewed certificate is approved.",
        claim=_claim(p),
        on=_text(p, "on"),
    ),
}


def render_notification(kind: str, params: dict[str, Any]) -> str:
    """The sentence for a notification of `kind`; unknown kinds get a generic sentence."""
    message = MESSAGES.get(kind)
    if message is None:
        return _("You have a new notification.")
    return message(params or {})
