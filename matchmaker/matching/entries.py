"""What the matcher reads (Entry) and what it answers (Recommendation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .text import analyze


@dataclass(frozen=True)
class Entry:
    """One scenario or capability as the matcher sees it."""

    id: str
    title: str
    description: str
    tags: Sequence[str]
    field: str | None
    district: str | None
    # For a scenario, its budget; for a capability, the smallest project it takes on.
    budget_wan: float | None = None
    # For a scenario, what it requires of a firm; for a capability, what the firm holds.
    qualifications: tuple[str, ...] = ()
    org: str | None = None
    tokens: dict[str, list[str]] | None = None

    def __post_init__(self) -> None:
        # Segmenting is the slow step, so stored tokens are used when the app has them.
        if self.tokens is None:
            object.__setattr__(self, "tokens", analyze(self.title, self.description, self.tags))

    @property
    def words(self) -> dict[str, list[str]]:
        """The tokens by field (never None after construction)."""
        assert self.tokens is not None
        return self.tokens


class Recommendation(NamedTuple):
    """One recommended pairing with its score, the score's parts and the reasons for it."""

    scenario_id: str
    capability_id: str
    score: float
    parts: dict[str, float]
    terms: list[tuple[str, float]]
    tags: list[str]
    reasons: list[tuple[str, str]]
