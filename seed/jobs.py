"""The job catalogue: concrete needs, in the buyer's words and in the vendor's words.

A *job* is one concrete piece of work ("垃圾分类投放行为识别"). Scenarios are written from a
job in the buyer's vocabulary (problem, users, current state, outcome); capabilities are
written from a job in the vendor's vocabulary (product, technique, cases). Relevance labels
come only from this catalogue: same job → grade 2; a platform covering the job, or a job
declared related in ``rel`` → grade 1. Jobs of one field that share ``obj`` words are each
other's decoys.

The data lives in ``seed/catalogue/``, one JSON object per entry with ``|``-separated strings.
Order matters: the generator's seeded draws follow it, so moving an entry can change the lists:

* ``jobs.json``: the arguments of :func:`J`; the jobs field by field, then, again field by
  field, more supply-only jobs (offered by firms, asked for by no scenario; most share objects
  with a demand job of the same field and so act as its decoys);
* ``platforms.json``: the arguments of :func:`P`;
* ``decoys.json``: ``offers`` on a demand job's topic (same objects, same words) that do
  another job, what a firm lists next to the real fit (``target`` job, ``title``, technique
  sentences ``vd``, ``vtag``), and the reference ``cases`` they all share;
  :func:`_decoy_jobs` turns each offer into a supply-only job ``<target>~<n>``.

Text slots: {d} buyer district, {n} 3–60, {N} 120–9800, {k} 2–9, {p} 15–60, {P} 85–99,
{h} 2–48, {y} 2023–2025 (a planned year), {place} a place in a vendor's case.
Jobs without buyer text (``bt``) are supply-only: firms offer them, no scenario asks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seed.knowledge import _split

CATALOGUE = Path(__file__).resolve().parent / "catalogue"


@dataclass(frozen=True)
class Job:
    """One concrete job with its buyer and vendor vocabularies."""

    key: str
    field: str
    name: str
    obj: tuple[str, ...]  # objects/systems the job works on, shared with sibling jobs
    who: tuple[str, ...]  # buyer kinds; empty → the field's default
    bt: tuple[str, ...]  # buyer titles
    bp: tuple[str, ...]  # buyer problems
    bu: tuple[str, ...]  # target users
    bn: tuple[str, ...]  # current state
    bo: tuple[str, ...]  # expected outcome
    btag: tuple[str, ...]
    vt: tuple[str, ...]  # vendor titles
    vp: tuple[str, ...]  # product names
    vd: tuple[str, ...]  # technique sentences
    vc: tuple[str, ...]  # reference cases
    vtag: tuple[str, ...]
    rel: tuple[str, ...]  # jobs whose capabilities partly solve this one (grade 1)
    alt: str  # another field some vendors file this job under
    nocaps: bool  # no firm offers this job (scenarios without any fit)

    @property
    def demand(self) -> bool:
        """Whether buyers post scenarios for this job."""
        return bool(self.bt)


@dataclass(frozen=True)
class Platform:
    """A generic platform: covers several jobs, each only partly (grade 1)."""

    key: str
    field: str
    name: str
    covers: tuple[str, ...]
    vt: tuple[str, ...]
    vp: tuple[str, ...]
    vd: tuple[str, ...]
    vc: tuple[str, ...]
    vtag: tuple[str, ...]
    n: int  # how many firms offer such a platform


def J(
    key: str,
    field: str,
    name: str,
    *,
    obj: str,
    vt: str,
    vp: str,
    vd: str,
    vc: str,
    vtag: str,
    who: str = "",
    bt: str = "",
    bp: str = "",
    bu: str = "",
    bn: str = "",
    bo: str = "",
    btag: str = "",
    rel: str = "",
    alt: str = "",
    nocaps: bool = False,
) -> Job:
    """Build a Job from ``|``-separated strings."""
    s = _split
    return Job(
        key,
        field,
        name,
        s(obj),
        s(who),
        s(bt),
        s(bp),
        s(bu),
        s(bn),
        s(bo),
        s(btag),
        s(vt),
        s(vp),
        s(vd),
        s(vc),
        s(vtag),
        s(rel),
        alt,
        nocaps,
    )


def P(
    key: str,
    field: str,
    name: str,
    *,
    covers: str,
    vt: str,
    vp: str,
    vd: str,
    vc: str,
    vtag: str,
    n: int,
) -> Platform:
    """Build a Platform from ``|``-separated strings."""
    s = _split
    return Platform(key, field, name, s(covers), s(vt), s(vp), s(vd), s(vc), s(vtag), n)


def _load(name: str) -> Any:
    """Read one file of ``seed/catalogue/``."""
    return json.loads((CATALOGUE / name).read_text(encoding="utf-8"))


JOBS: list[Job] = [J(**entry) for entry in _load("jobs.json")]
PLATFORMS: list[Platform] = [P(**entry) for entry in _load("platforms.json")]
_DECOYS = _load("decoys.json")
DECOY_CASES: tuple[str, ...] = tuple(_DECOYS["cases"])
DECOYS: list[dict[str, str]] = _DECOYS["offers"]


def _decoy_jobs() -> list[Job]:
    """Turn DECOYS into supply-only jobs of the target's field, on the target's objects."""
    by_key = {j.key: j for j in JOBS}
    seen: dict[str, int] = {}
    out = []
    for d in DECOYS:
        target, title = d["target"], d["title"]
        t = by_key[target]
        seen[target] = seen.get(target, 0) + 1
        out.append(
            J(
                f"{target}~{seen[target]}",
                t.field,
                title,
                obj="|".join(t.obj),
                vt=title,
                vp=title,
                vd=d["vd"],
                vc="|".join(DECOY_CASES),
                vtag=d["vtag"],
            )
        )
    return out


JOBS += _decoy_jobs()

JOB_BY_KEY = {j.key: j for j in JOBS}
PLATFORM_BY_KEY = {p.key: p for p in PLATFORMS}
