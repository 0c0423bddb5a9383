"""Domain rules shared by scenarios and capabilities: indexing text for search and matching."""

from matchmaker.matching.text import analyze, normalize
from models import Capability, Scenario


def normalize_for_search(text: str) -> str:
    """The form both stored text and queries take: NFKC, Simplified, lower case."""
    return normalize(text)


def index_entry(entry: Scenario | Capability) -> None:
    """Store the matcher tokens and the normalised search text; call on every save."""
    entry.tokens = analyze(entry.title, f"{entry.summary}\n{entry.description}", entry.tags)
    entry.search_text = normalize_for_search(
        " ".join([entry.title, entry.summary, entry.description, " ".join(entry.tags)])
    )
