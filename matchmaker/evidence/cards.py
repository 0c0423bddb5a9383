"""What a list card shows of a firm's claims: read once per request, a page's firms at once."""

from collections.abc import Iterable

from flask import g

from matchmaker.evidence import claims
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from models import Capability


def verified_claims(capability: Capability) -> claims.Verified:
    """The claims of the capability's firm that are verified and in force (for list cards),
    read once per firm and request."""
    org_id = capability.organisation_id
    held: dict[int, claims.Verified] = g.setdefault("verified_claims", {})
    if org_id not in held:
        read_verified_claims([org_id])
    return held[org_id]


def read_verified_claims(org_ids: Iterable[int]) -> None:
    """Read the verified claims of all these firms in one query, for `verified_claims`: a
    list page asks for its cards' firms at once instead of one query per card."""
    held: dict[int, claims.Verified] = g.setdefault("verified_claims", {})
    wanted = set(org_ids) - held.keys()
    found = claims.verified(get_session(), wanted, today=local_today())
    held.update({org_id: found.get(org_id, claims.NOTHING_VERIFIED) for org_id in wanted})
