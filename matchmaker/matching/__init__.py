"""Matching scenarios with capabilities: pure Python, no web framework or database.

The matcher itself (scikit-learn, SciPy, rapidfuzz) is imported on first use of its names,
not with the package: the web app and the CLI import `matching.text` to index entries, and
should not pay a second of imports for a matcher they may never call.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .entries import Entry, Recommendation
from .text import analyze, normalize

if TYPE_CHECKING:
    from .matcher import DEFAULT_CAP, Matcher, MatcherConfig, Shard, Side

_FROM_MATCHER = ("DEFAULT_CAP", "Matcher", "MatcherConfig", "Shard", "Side")

__all__ = [
    "DEFAULT_CAP",
    "Entry",
    "Matcher",
    "MatcherConfig",
    "Recommendation",
    "Shard",
    "Side",
    "analyze",
    "normalize",
]


def __getattr__(name: str) -> Any:
    """The matcher's names, imported the first time one is asked for (PEP 562)."""
    if name in _FROM_MATCHER:
        return getattr(import_module(".matcher", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
