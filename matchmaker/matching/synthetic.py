"""Synthetic lists with topical structure, for the benchmarks and the scale tests.

Tokens are generated directly (as the app stores them), so segmentation is no part of what
they measure. The same seed gives the same lists.
"""

from __future__ import annotations

import random

from .entries import Entry
from .text import concept_forms

DISTRICTS = ["渝中区", "江北区", "渝北区", "南岸区", "九龙坡区", "沙坪坝区", "两江新区", "巴南区"]
_HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]


def synthetic(
    n_scenarios: int, n_capabilities: int, seed: int = 0
) -> tuple[list[Entry], list[Entry]]:
    """Lists with topical structure: 40 fields, each with its own words, plus common words."""
    rng = random.Random(seed)  # nosec B311: benchmark lists, reproducible by seed
    words = sorted({"".join(rng.sample(_HAN, rng.choice((2, 2, 3, 4)))) for _ in range(40_000)})
    rng.shuffle(words)
    # Some real concept forms among the topical words, so the concept layer has work to do.
    forms = sorted(concept_forms())
    for i in range(0, 40 * 600, 600):
        words[i + 5 : i + 10] = rng.sample(forms, 5)
    fields = [f"领域{i}" for i in range(40)]
    topical = {f: words[i * 600 : (i + 1) * 600] for i, f in enumerate(fields)}
    common = words[40 * 600 :]

    def entry(prefix: str, n: int) -> Entry:
        field = rng.choice(fields)
        local = topical[field]

        def pick(count: int, share: float) -> list[str]:
            return [
                _zipf(rng, local) if rng.random() < share else _zipf(rng, common)
                for _ in range(count)
            ]

        title, body, tags = (
            pick(rng.randint(3, 6), 0.8),
            pick(rng.randint(25, 70), 0.5),
            pick(4, 0.9),
        )
        return Entry(
            id=f"{prefix}{n}",
            title="".join(title),
            description="".join(body),
            tags=tags,
            field=field,
            district=rng.choice(DISTRICTS),
            budget_wan=rng.choice([None, 20, 50, 100, 300]),
            tokens={"title": title, "body": body, "tags": tags, "phrases": tags},
        )

    return [entry("s", i) for i in range(n_scenarios)], [
        entry("c", i) for i in range(n_capabilities)
    ]


def _zipf(rng: random.Random, words: list[str]) -> str:
    # Rank r drawn with probability about 1/r (Zipf's law for words after stop words):
    # the log of the rank is uniform.
    return words[int(len(words) ** rng.random()) - 1]
