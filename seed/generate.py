"""Generate the seed lists (organisations, users, scenarios, capabilities, labels).

Run ``python -m seed.generate`` from the repository root. Output is deterministic
(``random.Random(2022)``): running it twice gives byte-identical files.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random

if __package__ in (None, ""):  # allow ``python seed/generate.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import opencc

from matchmaker.auth.creditcode import ALPHABET, is_valid, make
from matchmaker.entries.reference import CENTRAL_DISTRICTS
from seed import knowledge as K
from seed.jobs import JOB_BY_KEY, JOBS, PLATFORMS, Job, Platform

SEED = 2022
N_SCENARIOS = 458
N_CAPABILITIES = 1000
ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
EVAL = ROOT / "eval"

# Scenario counts for the jobs no firm offers (~2% of scenarios with no fit at all).
NOCAPS_SCENARIOS = {"dc-red": 4, "q-sense": 3, "ic-ate": 3}
# Capability counts: demand jobs draw from this distribution (then capped so that a
# scenario has at most 8 relevant capabilities); jobs named in another job's ``rel`` get 2-3.
DEMAND_CAPS = (1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5)
MAX_RELEVANT = 8
SHARE_TRADITIONAL = 0.065
SHARE_FULLWIDTH = 0.05
ORG_CODE_CHARS = ALPHABET  # organisation-code characters that are also legal in a USCC


@dataclass
class Org:
    """An organisation row of organisations.json."""

    key: str
    name: str
    kind: str
    credit_code: str
    district: str
    qualifications: list[str]
    verified: bool
    subkind: str = ""  # demand kind (大数据局, 医院, 汽车 …) or supply field
    fields: list[str] = field(default_factory=list)
    size: int = 0

    def row(self) -> dict:
        """Return the JSON row."""
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "credit_code": self.credit_code,
            "district": self.district,
            "qualifications": self.qualifications,
            "verified": self.verified,
        }


class Filler:
    """Fills ``{slot}`` placeholders with context values or fresh random numbers."""

    SLOT = re.compile(r"\{(\w+)\}")

    def __init__(self, rng: Random) -> None:
        """Keep the random source."""
        self.rng = rng

    def value(self, name: str, ctx: dict[str, str]) -> str:
        """Return the text for one slot."""
        if name in ctx:
            return ctx[name]
        r = self.rng
        generators = {
            "n": lambda: str(r.randint(3, 60)),
            "N": lambda: str(r.randrange(12, 981) * 10),
            "k": lambda: str(r.randint(2, 9)),
            "p": lambda: str(r.randint(15, 60)),
            "P": lambda: str(r.randint(85, 99)),
            "h": lambda: str(r.choice((2, 4, 6, 8, 12, 24, 48))),
            "y": lambda: str(r.randint(2023, 2025)),
            "place": lambda: r.choice(K.CASE_PLACES),
        }
        if name not in generators:
            raise KeyError(f"unknown slot {{{name}}}")
        return generators[name]()

    def __call__(self, text: str, **ctx: str) -> str:
        """Fill every slot of ``text``."""
        return self.SLOT.sub(lambda m: self.value(m.group(1), ctx), text)


def short_district(district: str) -> str:
    """Return the short form of a district used inside sentences."""
    return K.DISTRICT_SHORT.get(district, district)


# ------------------------------------------------------------------------ organisations
def org_code(rng: Random, modern: bool) -> str:
    """Return an 8-character organisation-code body (new "MA…" style or old numeric)."""
    if modern:
        return "MA" + "".join(rng.choice(ORG_CODE_CHARS) for _ in range(6))
    return str(rng.randint(20000000, 79999999))


def credit_code(rng: Random, prefix: str, district: str, used: set[str]) -> str:
    """Return a fresh, valid, unique credit code for an organisation of ``district``."""
    while True:
        admin = rng.choice(K.ADMIN_CODES[district])
        if prefix == "91" and rng.random() < 0.08:
            admin = "500000"  # registered with the city administration
        body = org_code(rng, modern=prefix == "91" and rng.random() < 0.7)
        if prefix != "91" and rng.random() < 0.5:
            body = "00" + str(rng.randint(100000, 999999))
        code = make(prefix[0], prefix[1], admin, body)
        if code not in used and is_valid(code):
            used.add(code)
            return code


def build_demand_orgs(rng: Random, used: set[str]) -> list[Org]:
    """Return the demand-side organisations (government, hospitals, schools, enterprises)."""
    rows: list[tuple[str, str, str]] = []  # (kind, name, district)
    for kind, name, district in K.CITY_DEPTS:
        rows.append((kind, name, district))
    for district, kinds in K.DISTRICT_DEPTS.items():
        prefix = K.ZONE_PREFIX.get(district, f"重庆市{district}")
        for kind in K._split(kinds):
            rows.append((kind, prefix + K.DISTRICT_DEPT_NAMES[kind], district))
    for pattern, districts in K.HOSPITALS:
        for district in districts:
            rows.append(("医院", pattern.format(d=district), district))
    rows.extend(K.OTHER_DEMAND)
    orgs = []
    for kind, name, district in rows:
        prefix = "11" if kind in K.GOV_KINDS else "12" if kind in K.INSTITUTION_KINDS else "91"
        if kind in ("中小学",) or name.endswith("融媒体中心"):
            prefix = "12"
        orgs.append(
            Org(
                "",
                name,
                "demand",
                credit_code(rng, prefix, district, used),
                district,
                [],
                True,
                subkind=kind,
            )
        )
    return orgs


def build_authorities(rng: Random, used: set[str]) -> list[Org]:
    """Return the city commission and the central districts' economy-and-IT bodies."""
    orgs = []
    for name, district, code in K.AUTHORITIES:
        if code is None:
            code = credit_code(rng, "11", district, used)
        used.add(code)
        orgs.append(Org("", name, "authority", code, district, [], True))
    return orgs


def firm_sizes(rng: Random, total: int) -> list[int]:
    """Return capability counts per firm: a few large, some medium, many small."""
    sizes = [rng.randint(10, 20) for _ in range(12)] + [rng.randint(4, 9) for _ in range(50)]
    while sum(sizes) < total:
        sizes.append(rng.choices((1, 2, 3), weights=(25, 35, 40))[0])
    sizes[-1] -= sum(sizes) - total
    if sizes[-1] <= 0:
        sizes.pop()
        sizes[-1] += total - sum(sizes)
    return sizes


def firm_quals(rng: Random, size: int, fields: list[str]) -> list[str]:
    """Return a plausible qualification list for a firm of the given size."""
    if size >= 10:
        odds = {
            "高新技术企业": 1.0,
            "国家重点软件企业": 0.3,
            "CMMI5": 0.5,
            "ISO27001": 0.8,
            "信息系统建设和服务能力等级证书": 0.7,
            "专精特新": 0.2,
            "市级重点软件企业": 0.6,
        }
        special = 0.8
    elif size >= 4:
        odds = {
            "高新技术企业": 0.85,
            "专精特新": 0.35,
            "CMMI3": 0.5,
            "ISO27001": 0.5,
            "ISO9001": 0.6,
            "科技型中小企业": 0.5,
            "市级重点软件企业": 0.15,
        }
        special = 0.6
    else:
        odds = {
            "科技型中小企业": 0.7,
            "高新技术企业": 0.4,
            "ISO9001": 0.3,
            "专精特新": 0.08,
            "CMMI3": 0.1,
        }
        special = 0.3
    quals = [q for q, p in odds.items() if rng.random() < p]
    if "CMMI5" not in quals and size >= 10 and "CMMI3" not in quals:
        quals.append("CMMI3")
    for f in fields:
        for q in K.QUALIFICATIONS_BY_FIELD.get(f, ()):
            if rng.random() < special and q not in quals:
                quals.append(q)
    return quals


def firm_name(rng: Random, primary: str, size: int, used: set[str]) -> tuple[str, str]:
    """Return a unique firm name and its brand (the two characters people call it by)."""
    while True:
        brand = rng.choice(K.BRAND_HEAD) + rng.choice(K.BRAND_TAIL)
        word = rng.choice(K.FIELD_NAME_WORDS[primary])
        roll = rng.random()
        if roll < 0.15:
            name = f"{brand}{word}（重庆）有限公司"
        elif size >= 10 and roll < 0.6:
            name = f"重庆{brand}{word}股份有限公司"
        else:
            name = f"重庆{brand}{word}有限公司"
        if brand[0] != brand[1] and name not in used and brand not in used:
            used.add(name)
            used.add(brand)
            return name, brand


FIRM_DISTRICTS = (
    ("两江新区", 16),
    ("西部科学城重庆高新区", 14),
    ("渝北区", 12),
    ("九龙坡区", 10),
    ("渝中区", 7),
    ("南岸区", 6),
    ("沙坪坝区", 6),
    ("江北区", 6),
    ("重庆经开区", 5),
    ("大渡口区", 3),
    ("北碚区", 3),
    ("巴南区", 3),
    ("永川区", 2),
    ("万州区", 1),
    ("涪陵区", 1),
    ("璧山区", 1),
    ("合川区", 1),
)


# ------------------------------------------------------------------------ scenarios
def allocate_scenarios(rng: Random) -> dict[str, int]:
    """Return how many scenarios each demand job yields (exactly N_SCENARIOS in all)."""
    counts = dict(NOCAPS_SCENARIOS)
    jobs = [j for j in JOBS if j.demand and not j.nocaps]
    rest = N_SCENARIOS - sum(counts.values())
    weights = {j.key: K.FIELD_BY_NAME[j.field].weight * rng.uniform(0.6, 1.4) for j in jobs}
    scale = rest / sum(weights.values())
    for j in jobs:
        counts[j.key] = max(1, min(7, round(weights[j.key] * scale)))
    keys = [j.key for j in jobs]
    while (diff := rest - sum(counts[k] for k in keys)) != 0:
        k = rng.choice(keys)
        if diff > 0 and counts[k] < 7:
            counts[k] += 1
        elif diff < 0 and counts[k] > 1:
            counts[k] -= 1
    return counts


ORG_SELF = (
    ("委员会", "我委"),
    ("局", "我局"),
    ("办公室", "我办"),
    ("医院", "我院"),
    ("保健院", "我院"),
    ("学校", "我校"),
    ("小学校", "我校"),
    ("中学", "我校"),
    ("学院", "我院"),
    ("大学", "学校"),
    ("（筹）", "学校"),
    ("中心", "中心"),
    ("集团有限公司", "集团"),
    ("集团股份有限公司", "集团"),
)


def self_name(org: Org) -> str:
    """Return how an organisation refers to itself in its own text (我局, 我院, 公司 …)."""
    for suffix, word in ORG_SELF:
        if org.name.endswith(suffix):
            return word
    return "园区" if org.subkind == "园区" else "公司"


def budget(rng: Random, job: Job) -> tuple[int | None, int | None]:
    """Return a (min, max) budget in 万元, or (None, None) when not stated."""
    if rng.random() < 0.12:
        return None, None
    scale = {
        "量子信息": 2.0,
        "卫星互联网": 1.6,
        "东数西算/算力": 1.8,
        "集成电路": 1.5,
        "智能网联汽车": 1.5,
        "智慧交通": 1.3,
    }.get(job.field, 1.0)
    steps = (
        20,
        30,
        40,
        50,
        60,
        80,
        100,
        120,
        150,
        200,
        250,
        300,
        400,
        500,
        600,
        800,
        1000,
        1200,
        1500,
        2000,
        2500,
        3000,
    )
    target = min(3000, rng.lognormvariate(5.0, 0.9) * scale)
    hi = min(steps, key=lambda s: abs(s - target))
    lo_target = hi * rng.uniform(0.35, 0.8)
    lo = max(20, min((s for s in steps if s < hi), key=lambda s: abs(s - lo_target), default=20))
    return (lo if lo < hi else None), hi


def deadline(rng: Random, batch: str) -> str:
    """Return an ISO deadline date within the batch's window."""
    (y0, m0), (y1, m1) = K.BATCH_DEADLINES[batch]
    start, end = date(y0, m0, 1), date(y1, m1, 28)
    return (start + timedelta(days=rng.randrange((end - start).days))).isoformat()


def person(rng: Random) -> str:
    """Return a plausible Chinese name."""
    given = rng.choice(K.GIVEN) + (rng.choice(K.GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(K.SURNAMES) + given


def phone(rng: Random) -> str:
    """Return a fake Chongqing landline (023-6xxxxxxx)."""
    return f"023-6{rng.randrange(10**7):07d}"


def pick2(rng: Random, options: tuple[str, ...]) -> tuple[str, str]:
    """Return two different options (or the same one twice if only one exists)."""
    if len(options) == 1:
        return options[0], options[0]
    a, b = rng.sample(options, 2)
    return a, b


def some_parts(rng: Random, parts: tuple[str, ...]) -> str:
    """Join a random run of consecutive parts (at least 16 characters when possible)."""
    start = rng.randrange(len(parts))
    end = start + 1 if rng.random() < 0.5 else len(parts)
    text = "，".join(parts[start:end])
    while len(text) < 16 and (start > 0 or end < len(parts)):
        start, end = (start - 1, end) if start > 0 else (start, end + 1)
        text = "，".join(parts[start:end])
    return text


def in_text(words: tuple[str, ...], text: str) -> list[str]:
    """Return the words that occur in ``text`` (candidate tags)."""
    return [w for w in words if w in text]


def make_tags(rng: Random, core: tuple[str, ...], extra: list[str]) -> list[str]:
    """Return 2-6 distinct tags: a sample of ``core`` plus some of ``extra``."""
    tags = rng.sample(core, min(len(core), rng.randint(2, 4)))
    for t in extra:
        if len(tags) < 6 and t not in tags and rng.random() < 0.45:
            tags.append(t)
    return tags


def fit_length(rng: Random, text: str, pads: list[str], lo: int = 80, hi: int = 400) -> str:
    """Append padding sentences until ``text`` is at least ``lo`` chars; trim at ``hi``."""
    for pad in pads:
        if len(text) >= lo:
            break
        text += pad
    if len(text) > hi:
        cut = text.rfind("。", 0, hi)
        text = text[: cut + 1]
    return text


def scenario_record(rng: Random, fill: Filler, sid: str, job: Job, org: Org) -> dict:
    """Write one scenario from a job in the buyer's words."""
    f = K.FIELD_BY_NAME[job.field]
    d = short_district(org.district)
    ctx = {"d": d}
    title = fill(rng.choice(job.bt), **ctx)
    if len(title) > 30 or (title.startswith(d) and rng.random() < 0.3):
        shorter = title.removeprefix(d)
        title = shorter if len(shorter) >= 8 else title
    prob, prob2 = (fill(x, **ctx) for x in pick2(rng, job.bp))
    users = fill(rng.choice(job.bu), **ctx)
    now = fill(some_parts(rng, job.bn), **ctx)
    goal = fill(some_parts(rng, job.bo), **ctx)
    bg = fill(rng.choice(f.bbg), **ctx)
    slots = {
        "bg": bg,
        "now": now,
        "prob": prob,
        "prob2": prob2,
        "users": users,
        "goal": goal,
        "title": title,
        "short": self_name(org),
        "tech": rng.choice(K.BUYER_TECH),
        "d": d,
    }
    text = fill(rng.choice(K.SCENARIO_TEMPLATES), **slots)
    extra = [fill(r, **ctx) + "。" for r in rng.sample(K.REQUIREMENTS, 3)]
    if rng.random() < 0.5:
        text += extra.pop()
    description = fit_length(rng, text, extra + [bg + "。"])
    summary = fill(rng.choice(K.SUMMARY_TEMPLATES), **slots)
    tags = make_tags(rng, job.btag, list(job.obj[:1]) + in_text(f.jargon, description))
    lo, hi = budget(rng, job)
    batch = rng.choices(K.BATCHES, weights=(35, 30, 35))[0]
    status = rng.choices(("published", "submitted", "draft"), weights=(89, 8, 3))[0]
    return {
        "id": sid,
        "title": title,
        "summary": summary,
        "problem": f"{prob}；{prob2}。" if prob != prob2 else f"{prob}。",
        "target_users": users + "。",
        "current_state": now + "。",
        "expected_outcome": goal + "。",
        "description": description,
        "field": job.field,
        "district": org.district,
        "tags": tags,
        "budget_min_wan": lo,
        "budget_max_wan": hi,
        "deadline": deadline(rng, batch),
        "contact_name": person(rng),
        "contact_phone": phone(rng),
        "org": org.key,
        "batch": batch,
        "status": status,
        "_job": job.key,
    }


# ------------------------------------------------------------------------ capabilities
def allocate_capabilities(rng: Random) -> dict[str, int]:
    """Return how many capabilities each job has (platforms separately, total exact)."""
    counts: dict[str, int] = {}
    referenced = {r for j in JOBS for r in j.rel}
    covered: Counter[str] = Counter()
    for p in PLATFORMS:
        for c in p.covers:
            covered[c] += p.n
    for j in JOBS:
        if j.nocaps:
            counts[j.key] = 0
        elif j.key in referenced and not j.demand:
            counts[j.key] = rng.randint(1, 2)
    demand = [j for j in JOBS if j.demand and not j.nocaps]
    for j in demand:
        counts[j.key] = rng.choice(DEMAND_CAPS)
    changed = True
    while changed:  # keep every scenario's relevant set within MAX_RELEVANT (aim for 6)
        changed = False
        for j in demand:
            total = counts[j.key] + covered[j.key] + sum(counts[r] for r in j.rel)
            if total > MAX_RELEVANT - 2 and counts[j.key] > 1:
                counts[j.key] -= 1
                changed = True
            elif total > MAX_RELEVANT:
                biggest = max(j.rel, key=lambda r: counts[r])
                counts[biggest] -= 1
                changed = True
    for j in JOBS:
        if "~" in j.key:  # decoy offers: one to three firms each
            counts[j.key] = rng.choice((1, 2, 2, 3))
    free = [j.key for j in JOBS if j.key not in counts]
    for k in free:
        counts[k] = 2
    rest = N_CAPABILITIES - sum(counts.values()) - sum(p.n for p in PLATFORMS)
    for _ in range(rest):
        counts[rng.choice(free)] += 1
    return counts


def firm_profile(rng: Random, firm: Org, brand: str, fill: Filler) -> str:
    """Return a sentence a firm writes about itself."""
    year = rng.randint(2003, 2020)
    quals = [
        q
        for q in firm.qualifications
        if q in ("国家重点软件企业", "专精特新", "高新技术企业", "市级重点软件企业")
    ]
    parts = [f"{brand}成立于{year}年"]
    if quals:
        parts.append(f"是{rng.choice(quals)}")
    parts.append(
        fill(
            rng.choice(
                (
                    "拥有软件著作权{n}项",
                    "研发人员占比{p}%",
                    "在渝员工{n}0人",
                    "服务客户{n}0余家",
                    "已在{k}个省市落地项目",
                )
            )
        )
    )
    return "，".join(parts) + "。"


def capability_record(
    rng: Random,
    fill: Filler,
    cid: str,
    source: Job | Platform,
    firm: Org,
    brand: str,
    used_products: set[str],
) -> dict:
    """Write one capability from a job (or platform) in the vendor's words."""
    fld = source.field
    if isinstance(source, Job) and source.alt and rng.random() < 0.3:
        fld = source.alt  # some vendors file the same offer under a neighbouring field
    f = K.FIELD_BY_NAME[source.field]
    products = []
    for p in rng.sample(source.vp, min(len(source.vp), rng.choice((1, 1, 2)))):
        name = p if p not in used_products else f"{brand}{p}"
        if name in used_products:
            name += f" V{rng.randint(2, 6)}.0"
        used_products.add(name)
        products.append(name)
    vt = rng.choice(source.vt)
    title = products[0] if rng.random() < 0.2 and len(products[0]) >= 5 else vt
    vd, vd2 = (fill(x) for x in pick2(rng, source.vd))
    cases = [fill(c) for c in rng.sample(source.vc, min(len(source.vc), rng.randint(1, 3)))]
    obj = "、".join(source.obj[:2]) if isinstance(source, Job) else rng.choice(f.jargon)
    vbg_template = rng.choice(f.vbg)
    vbg = fill(vbg_template)
    slots = {
        "prod": products[0],
        "vd": vd,
        "vd2": vd2,
        "case": cases[0],
        "vbg": vbg,
        "obj": obj,
        "firm": brand,
        "title": vt,
    }
    decoy = "~" in source.key
    text = fill(rng.choice(K.DECOY_TEMPLATES if decoy else K.CAPABILITY_TEMPLATES), **slots)
    extra = [rng.choice(source.obj)] if isinstance(source, Job) else []
    if decoy:  # a decoy positions itself on the buyer's topic
        topic = rng.sample(JOB_BY_KEY[source.key.split("~")[0]].btag, 2)
        text = rng.choice(K.DECOY_LEADS).format(topic="、".join(topic)) + text
        extra = topic + extra
    pads = [firm_profile(rng, firm, brand, fill)] + [c + "。" for c in cases[1:]]
    if rng.random() < 0.35:
        text += pads.pop(0)
    more = [fill(v) + "。" for v in rng.sample(f.vbg, len(f.vbg)) if v != vbg_template]
    extras = [fill(x) + "。" for x in rng.sample(K.VENDOR_EXTRAS, 3)]
    description = fit_length(rng, text, pads + more + extras)
    slots["vd_short"] = vd.split("，")[0]
    summary = fill(rng.choice(K.CAPABILITY_SUMMARY_TEMPLATES), **slots)
    tags = make_tags(rng, source.vtag, extra + in_text(f.jargon, description))
    quals = [q for q in firm.qualifications if rng.random() < 0.75]
    status = rng.choices(("published", "submitted", "draft", "withdrawn"), weights=(88, 8, 2, 2))
    return {
        "id": cid,
        "title": title,
        "summary": summary,
        "description": description,
        "field": fld,
        "district": firm.district,
        "tags": tags,
        "products": products,
        "cases": [c + "。" for c in cases],
        "qualifications": quals,
        "org": firm.key,
        "status": status[0],
        "_job": source.key,
    }


def assign_firms(rng: Random, sources: list[Job | Platform]) -> tuple[list[Org], list[int]]:
    """Create the supply firms and return them with the firm index of each capability."""
    by_field: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sources):
        by_field[s.field].append(i)
    for lst in by_field.values():
        rng.shuffle(lst)
    owner = [-1] * len(sources)
    firms: list[Org] = []
    for size in firm_sizes(rng, len(sources)):
        remaining = {f: len(v) for f, v in by_field.items() if v}
        n_fields = 1 if size <= 3 else rng.randint(1, 2) if size < 10 else rng.randint(3, 5)
        fields: list[str] = []
        while len(fields) < min(n_fields, len(remaining)):
            f = rng.choices(list(remaining), weights=list(remaining.values()))[0]
            if f not in fields:
                fields.append(f)
        idx = len(firms)
        jobs_taken: set[str] = set()
        for n in range(size):
            pool = [f for f in fields if by_field[f]] or [f for f in by_field if by_field[f]]
            f = pool[n % len(pool)]
            lst = by_field[f]
            pos = next((i for i, c in enumerate(lst) if sources[c].key not in jobs_taken), 0)
            c = lst.pop(pos)
            owner[c] = idx
            jobs_taken.add(sources[c].key)
            if f not in fields:
                fields.append(f)
        firms.append(
            Org("", "", "supply", "", "", [], True, subkind=fields[0], fields=fields, size=size)
        )
    return firms, owner


# ------------------------------------------------------------------------ text variants
_TERM_BOUNDARY = r"(?<![A-Za-z\-/]){}(?![A-Za-z\-])"
TEXT_KEYS = (
    "title",
    "summary",
    "problem",
    "target_users",
    "current_state",
    "expected_outcome",
    "description",
)


def swap_terms(record: dict, to_chinese: bool, rng: Random, p: float) -> list[str]:
    """Rewrite English terms as Chinese (buyers) or Chinese as English (vendors)."""
    swapped = []
    for en, zh in K.TERM_PAIRS:
        if rng.random() >= p:
            continue
        pattern = (
            re.compile(_TERM_BOUNDARY.format(re.escape(en)))
            if to_chinese
            else re.compile(rf"(?<![A-Za-z]){re.escape(zh)}(?![A-Za-z])")
        )
        repl = zh if to_chinese else en
        hit = False
        for key in (*TEXT_KEYS, "tags", "cases"):
            if key not in record:
                continue
            value = record[key]
            if isinstance(value, list):
                new = [pattern.sub(repl, v) for v in value]
            else:
                new = pattern.sub(repl, value)
            hit |= new != value
            record[key] = new
        if hit:
            swapped.append(en)
    return swapped


def to_fullwidth(text: str) -> str:
    """Turn ASCII letters and digits into their full-width forms (ＡＩ, ５Ｇ)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def transform(record: dict, convert) -> None:
    """Apply ``convert`` to every free-text value of a record."""
    for key in (*TEXT_KEYS, "tags", "products", "cases"):
        if key in record:
            value = record[key]
            record[key] = [convert(v) for v in value] if isinstance(value, list) else convert(value)


# ------------------------------------------------------------------------ main
def generate() -> dict[str, object]:
    """Build every list in memory and return them with bookkeeping for the README."""
    rng = Random(SEED)
    fill = Filler(rng)
    used_codes: set[str] = set()

    authorities = build_authorities(rng, used_codes)
    demand = build_demand_orgs(rng, used_codes)

    # capabilities: which job each one comes from, then which firm offers it
    cap_counts = allocate_capabilities(rng)
    sources: list[Job | Platform] = [j for j in JOBS for _ in range(cap_counts[j.key])]
    sources += [p for p in PLATFORMS for _ in range(p.n)]
    rng.shuffle(sources)
    assert len(sources) == N_CAPABILITIES, len(sources)
    firms, owner = assign_firms(rng, sources)
    used_names: set[str] = set()
    brands = []
    for firm in firms:
        firm.name, brand = firm_name(rng, firm.subkind, firm.size, used_names)
        brands.append(brand)
        districts, weights = zip(*FIRM_DISTRICTS, strict=True)
        firm.district = rng.choices(districts, weights=weights)[0]
        firm.credit_code = credit_code(rng, "91", firm.district, used_codes)
        firm.qualifications = firm_quals(rng, firm.size, firm.fields)

    orgs = authorities + demand + firms
    for i, org in enumerate(orgs, 1):
        org.key = f"org-{i:04d}"
    for i in rng.sample(range(len(demand)), 2):
        demand[i].verified = False
    for i in rng.sample(range(len(firms)), 5):
        firms[i].verified = False

    # scenarios: each from one demand job, posted by an organisation of a fitting kind
    scen_counts = allocate_scenarios(rng)
    plan = [JOB_BY_KEY[k] for k in sorted(scen_counts) for _ in range(scen_counts[k])]
    rng.shuffle(plan)
    posted: Counter[str] = Counter()
    scenarios = []
    for i, job in enumerate(plan, 1):
        kinds = job.who or K.FIELD_BY_NAME[job.field].who
        candidates = [o for o in demand if o.subkind in kinds]
        assert candidates, job.key
        least = min(posted[o.key] for o in candidates)
        org = rng.choice([o for o in candidates if posted[o.key] <= least + 1])
        posted[org.key] += 1
        scenarios.append(scenario_record(rng, fill, f"S{i:04d}", job, org))

    used_products: set[str] = set()
    capabilities = []
    order = sorted(range(N_CAPABILITIES), key=lambda c: (owner[c], c))  # a firm's entries together
    for n, c in enumerate(order, 1):
        firm = firms[owner[c]]
        rec = capability_record(
            rng, fill, f"C{n:04d}", sources[c], firm, brands[owner[c]], used_products
        )
        capabilities.append(rec)

    # vocabulary: buyers tend to spell terms out, vendors to abbreviate them
    swaps = {}
    for rec in scenarios:
        swaps[rec["id"]] = swap_terms(rec, True, rng, 0.5)
    for rec in capabilities:
        swaps[rec["id"]] = swap_terms(rec, False, rng, 0.5)
        for buyer_word, vendor_word in K.VENDOR_DIALECT:
            if rng.random() < 0.6:
                transform(rec, lambda t, a=buyer_word, b=vendor_word: t.replace(a, b))

    for rec in scenarios + capabilities:  # swapped terms change lengths: re-fit
        pool = K.REQUIREMENTS if rec["id"].startswith("S") else K.VENDOR_EXTRAS
        pads = [fill(x) + "。" for x in rng.sample(pool, 3)]
        rec["description"] = fit_length(rng, rec["description"], pads)

    # Traditional characters and full-width letters/digits on a few entries of each side
    variants: dict[str, str] = {}
    s2t, s2twp = opencc.OpenCC("s2t"), opencc.OpenCC("s2twp")
    for records in (scenarios, capabilities):
        ids = [r["id"] for r in records]
        trad = set(rng.sample(ids, round(len(ids) * SHARE_TRADITIONAL)))
        ascii_ids = [
            r["id"]
            for r in records
            if r["id"] not in trad and re.search(r"[A-Za-z0-9]", r["description"])
        ]
        wide = set(rng.sample(ascii_ids, round(len(ids) * SHARE_FULLWIDTH)))
        for r in records:
            if r["id"] in trad:
                conv = s2twp if rng.random() < 0.3 else s2t
                transform(r, conv.convert)
                variants[r["id"]] = "traditional"
            elif r["id"] in wide:
                transform(r, to_fullwidth)
                variants[r["id"]] = "fullwidth"

    qrels = label(scenarios, capabilities)
    return {
        "orgs": orgs,
        "scenarios": scenarios,
        "capabilities": capabilities,
        "qrels": qrels,
        "swaps": swaps,
        "variants": variants,
        "firms": firms,
        "demand": demand,
    }


def label(scenarios: list[dict], capabilities: list[dict]) -> list[tuple[str, str, int]]:
    """Grade every (scenario, capability) pair from the job catalogue alone."""
    by_job: dict[str, list[str]] = defaultdict(list)
    for c in capabilities:
        by_job[c["_job"]].append(c["id"])
    covering: dict[str, list[str]] = defaultdict(list)
    for p in PLATFORMS:
        for job in p.covers:
            covering[job].extend(by_job[p.key])
    rows = []
    for s in scenarios:
        job = JOB_BY_KEY[s["_job"]]
        grades = dict.fromkeys(by_job[job.key], 2)
        for cid in covering[job.key] + [c for r in job.rel for c in by_job[r]]:
            grades.setdefault(cid, 1)
        rows.extend((s["id"], cid, g) for cid, g in sorted(grades.items()))
    return rows


def users(orgs: list[Org], scenarios: list[dict], capabilities: list[dict]) -> list[dict]:
    """Return the four demo accounts (password documented as demo-only)."""
    city = orgs[0]
    posted = Counter(s["org"] for s in scenarios)
    demand_org = next(
        o
        for o in orgs
        if o.kind == "demand" and o.verified and o.name == "重庆市渝北区大数据应用发展管理局"
    )
    assert posted[demand_org.key] > 0
    offered = Counter(c["org"] for c in capabilities)
    supply_org = next(
        o for o in orgs if o.kind == "supply" and o.verified and 5 <= offered[o.key] <= 8
    )
    rows = [
        ("admin@demo.cq", "平台管理员", "admin", city, False),
        ("official@demo.cq", "陈晓燕", "official", city, False),
        ("demand@demo.cq", "刘建国", "demand", demand_org, True),
        ("supply@demo.cq", "王思远", "supply", supply_org, True),
    ]
    return [
        {"email": e, "name": n, "role": r, "org": o.key, "is_org_admin": a, "password": "demo12345"}
        for e, n, r, o, a in rows
    ]


def public(record: dict) -> dict:
    """Drop the generator's private keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def write_jsonl(path: Path, rows: list[dict]) -> None:
    """Write UTF-8 JSON lines."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def write_json(path: Path, rows: object) -> None:
    """Write pretty UTF-8 JSON."""
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", "utf-8")


def write_qrels(path: Path, rows: list[tuple[str, str, int]]) -> None:
    """Write the labels as TSV with a header."""
    lines = ["scenario_id\tcapability_id\tgrade"] + [f"{s}\t{c}\t{g}" for s, c, g in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def check(world: dict) -> None:
    """Assert the invariants promised in seed/README.md."""
    scenarios, capabilities, orgs = world["scenarios"], world["capabilities"], world["orgs"]
    assert len(scenarios) == N_SCENARIOS and len(capabilities) == N_CAPABILITIES
    for r in scenarios + capabilities:
        assert 80 <= len(r["description"]) <= 400, (r["id"], len(r["description"]))
        assert 2 <= len(r["tags"]) <= 6, r["id"]
    for r in scenarios:
        assert 8 <= len(r["title"]) <= 30, (r["id"], r["title"])
    fields = {f.name for f in K.FIELDS}
    assert {r["field"] for r in scenarios} == fields
    assert {r["field"] for r in capabilities} == fields
    assert set(CENTRAL_DISTRICTS) <= {r["district"] for r in scenarios}
    codes = [o.credit_code for o in orgs]
    assert len(set(codes)) == len(codes) and all(is_valid(c) for c in codes)
    keys = {o.key for o in orgs}
    assert all(r["org"] in keys for r in scenarios + capabilities)
    sids, cids = {r["id"] for r in scenarios}, {r["id"] for r in capabilities}
    per: Counter[str] = Counter()
    for s, c, _ in world["qrels"]:
        assert s in sids and c in cids
        per[s] += 1
    for r in scenarios:
        n = per[r["id"]]
        assert n <= MAX_RELEVANT, (r["id"], n)
        assert (n == 0) == JOB_BY_KEY[r["_job"]].nocaps, r["id"]


def main() -> None:
    """Generate and write every seed file."""
    world = generate()
    check(world)
    orgs, scenarios, capabilities = world["orgs"], world["scenarios"], world["capabilities"]
    DATA.mkdir(exist_ok=True)
    EVAL.mkdir(exist_ok=True)
    write_json(DATA / "organisations.json", [o.row() for o in orgs])
    write_json(DATA / "users.json", users(orgs, scenarios, capabilities))
    write_jsonl(DATA / "scenarios.jsonl", [public(r) for r in scenarios])
    write_jsonl(DATA / "capabilities.jsonl", [public(r) for r in capabilities])
    write_qrels(DATA / "qrels.tsv", world["qrels"])
    write_jsonl(
        EVAL / "scenarios.jsonl",
        [
            {
                "id": r["id"],
                "title": r["title"],
                "description": r["summary"] + r["description"],
                "tags": r["tags"],
                "field": r["field"],
                "district": r["district"],
                "budget_wan": r["budget_max_wan"],
                "org": r["org"],
            }
            for r in scenarios
        ],
    )
    write_jsonl(
        EVAL / "capabilities.jsonl",
        [
            {
                "id": r["id"],
                "title": r["title"],
                "description": r["summary"] + r["description"],
                "tags": r["tags"],
                "field": r["field"],
                "district": r["district"],
                "org": r["org"],
            }
            for r in capabilities
        ],
    )
    write_qrels(EVAL / "qrels.tsv", world["qrels"])
    kinds = Counter(o.kind for o in orgs)
    print(
        f"organisations {dict(kinds)}; scenarios {len(scenarios)}; "
        f"capabilities {len(capabilities)}; qrels {len(world['qrels'])}"
    )


if __name__ == "__main__":
    main()
