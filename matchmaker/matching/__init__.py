"""Matching scenarios with capabilities: pure Python, no web framework or database."""

from .entries import Entry, Recommendation
from .matcher import DEFAULT_CAP, Matcher, MatcherConfig, Side
from .text import analyze, normalize

__all__ = [
    "DEFAULT_CAP",
    "Entry",
    "Matcher",
    "MatcherConfig",
    "Recommendation",
    "Side",
    "analyze",
    "normalize",
]
