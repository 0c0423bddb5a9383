"""Check the generated seed files and measure how far plain word overlap gets on the labels.

Run ``python -m seed.check`` after ``python -m seed.generate``; ``--write-readme`` also
refreshes the statistics block of ``seed/README.md``. Reads the files on disk (as the
matcher would) and re-runs the generator in memory for the job behind each entry.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

if __package__ in (None, ""):  # allow ``python seed/check.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jieba
import opencc

from matchmaker.auth.creditcode import is_valid
from matchmaker.entries.reference import CENTRAL_DISTRICTS
from seed import generate as G
from seed import knowledge as K
from seed.jobs import JOB_BY_KEY, PLATFORM_BY_KEY

ROOT = Path(__file__).resolve().parent
TOKEN = re.compile(r"[\w]+")
T2S = opencc.OpenCC("t2s")


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSON-lines file."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Read a qrels TSV into {scenario: {capability: grade}}."""
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in path.read_text("utf-8").splitlines()[1:]:
        s, c, g = line.split("\t")
        qrels[s][c] = int(g)
    return qrels


def tokens(text: str, normalise: bool) -> list[str]:
    """Segment with jieba; optionally NFKC + Traditional→Simplified + lowercase first."""
    if normalise:
        text = T2S.convert(unicodedata.normalize("NFKC", text)).lower()
    out = []
    for tok in jieba.lcut(text):
        tok = tok.strip()
        if TOKEN.fullmatch(tok) and (len(tok) > 1 or tok.isascii()):
            out.append(tok)
    return out


def doc_text(r: dict) -> str:
    """Return what a matcher indexes: title, description and tags."""
    return " ".join([r["title"], r["description"], *r["tags"]])


class BM25:
    """Plain BM25 (k1=1.2, b=0.75) over token lists."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        """Index the documents."""
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.avg = sum(self.len) / len(docs)
        df = Counter(t for d in docs for t in set(d))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: list[str]) -> list[float]:
        """Score every document for the query."""
        out = []
        q = Counter(query)
        for tf, ln in zip(self.tf, self.len, strict=True):
            norm = self.k1 * (1 - self.b + self.b * ln / self.avg)
            s = 0.0
            for t, qn in q.items():
                f = tf.get(t)
                if f:
                    s += qn * self.idf[t] * f * (self.k1 + 1) / (f + norm)
            out.append(s)
        return out


def ndcg(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    """nDCG@k with gain 2^grade - 1."""
    dcg = sum((2 ** rel.get(c, 0) - 1) / math.log2(i + 2) for i, c in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def evaluate(scen: list[dict], caps: list[dict], qrels: dict, normalise: bool) -> dict:
    """Rank all capabilities per scenario by BM25 and by token Jaccard; return metrics."""
    cap_tokens = [tokens(doc_text(c), normalise) for c in caps]
    cap_sets = [set(t) for t in cap_tokens]
    ids = [c["id"] for c in caps]
    bm25 = BM25(cap_tokens)
    res = defaultdict(list)
    rankings = {}
    for s in scen:
        rel = qrels.get(s["id"], {})
        if not rel:
            continue
        q = tokens(doc_text(s), normalise)
        scores = bm25.scores(q)
        ranked = [ids[i] for i in sorted(range(len(ids)), key=lambda i: -scores[i])]
        rankings[s["id"]] = ranked
        res["ndcg10"].append(ndcg(ranked, rel))
        res["recall10"].append(sum(c in rel for c in ranked[:10]) / len(rel))
        first = next(i for i, c in enumerate(ranked) if c in rel)
        res["mrr"].append(1 / (first + 1))
        qs = set(q)
        jac = [len(qs & cs) / len(qs | cs) if qs | cs else 0 for cs in cap_sets]
        top = [ids[i] for i in sorted(range(len(ids)), key=lambda i: -jac[i])[:10]]
        res["jaccard_p10"].append(sum(c in rel for c in top) / 10)
        res["jaccard_recall10"].append(sum(c in rel for c in top) / len(rel))
    metrics = {k: sum(v) / len(v) for k, v in res.items()}
    metrics["n"] = len(res["ndcg10"])
    return {"metrics": metrics, "rankings": rankings}


def hard_cases(world: dict, qrels: dict, rankings: dict[str, list[str]]) -> dict[str, int]:
    """Count the hard cases in the labelled set."""
    scen = {r["id"]: r for r in world["scenarios"]}
    caps = {r["id"]: r for r in world["capabilities"]}
    job_of = {**{i: r["_job"] for i, r in scen.items()}, **{i: r["_job"] for i, r in caps.items()}}
    out: Counter[str] = Counter()
    # decoys by construction: same field, a different job on the same objects/systems
    for sid, s in scen.items():
        job = JOB_BY_KEY[s["_job"]]
        rel = qrels.get(sid, {})
        n = 0
        for cid, c in caps.items():
            src = JOB_BY_KEY.get(c["_job"])
            if src is None or cid in rel or c["field"] != s["field"]:
                continue
            if set(src.obj) & set(job.obj):
                n += 1
        out["decoy_pairs_sibling"] += n
        out["scenarios_with_sibling_decoys"] += n > 0
    # decoys as word overlap sees them: same-field, irrelevant, ranked above a relevant one
    for sid, ranked in rankings.items():
        rel = qrels[sid]
        worst = max(ranked.index(c) for c in rel)
        above = [
            c for c in ranked[:worst] if c not in rel and caps[c]["field"] == scen[sid]["field"]
        ]
        top10 = [c for c in ranked[:10] if c not in rel and caps[c]["field"] == scen[sid]["field"]]
        out["scenarios_with_same_field_decoy_in_bm25_top10"] += bool(top10)
        out["decoys_in_bm25_top10"] += len(top10)
        out["decoys_ranked_above_a_relevant"] += len(above)
        # paraphrases: exact fits (grade 2) that word overlap does not put in its top 10
        for c, g in rel.items():
            if g == 2:
                out["grade2_pairs"] += 1
                out["paraphrase_grade2_missed_by_bm25_top10"] += ranked.index(c) >= 10
    # acronym on one side, the Chinese term on the other
    for sid, rel in qrels.items():
        stext = doc_text(scen[sid])
        for cid in rel:
            ctext = doc_text(caps[cid])
            for en, zh in K.TERM_PAIRS:
                s_en, s_zh = en in stext, zh in stext
                c_en, c_zh = en in ctext, zh in ctext
                if (s_zh and not s_en and c_en and not c_zh) or (
                    s_en and not s_zh and c_zh and not c_en
                ):
                    out["relevant_pairs_acronym_vs_chinese"] += 1
                    break
    variants = world["variants"]
    for sid, rel in qrels.items():
        for cid, g in rel.items():
            kinds = {variants.get(sid), variants.get(cid)} - {None}
            for kind in kinds:
                out[f"relevant_pairs_with_{kind}_entry"] += 1
            if JOB_BY_KEY.get(job_of[cid]) is None and g == 1:
                out["grade1_generic_platform"] += 1
            elif g == 1:
                out["grade1_related_job"] += 1
    for r in world["scenarios"] + world["capabilities"]:
        if r["id"] in variants:
            side = "scenarios" if r["id"].startswith("S") else "capabilities"
            out[f"{variants[r['id']]}_{side}"] += 1
    out["scenarios_without_fit"] = sum(1 for s in scen if not qrels.get(s))
    out["platform_capabilities"] = sum(1 for c in caps.values() if c["_job"] in PLATFORM_BY_KEY)
    return dict(out)


def sanity(world: dict) -> list[str]:
    """Re-check the files on disk; return human-readable facts."""
    data = ROOT / "data"
    orgs = json.loads((data / "organisations.json").read_text("utf-8"))
    scen = read_jsonl(data / "scenarios.jsonl")
    caps = read_jsonl(data / "capabilities.jsonl")
    qrels = read_qrels(data / "qrels.tsv")
    assert len(scen) == 458 and len(caps) == 1000
    assert all(80 <= len(r["description"]) <= 400 for r in scen + caps)
    fields = {f.name for f in K.FIELDS}
    assert {r["field"] for r in scen} == fields == {r["field"] for r in caps}
    assert set(CENTRAL_DISTRICTS) <= {r["district"] for r in scen}
    codes = [o["credit_code"] for o in orgs]
    assert len(set(codes)) == len(codes) and all(map(is_valid, codes))
    sids, cids = {r["id"] for r in scen}, {r["id"] for r in caps}
    assert all(s in sids and c in cids for s, rel in qrels.items() for c in rel)
    eval_q = read_qrels(ROOT / "eval" / "qrels.tsv")
    assert eval_q == qrels
    per = Counter({s: len(rel) for s, rel in qrels.items()})
    live = [r for r in scen if r["status"] in ("published", "submitted")]
    sizes = Counter(o["kind"] for o in orgs)
    offered = Counter(c["org"] for c in caps)
    relevant_firms = {
        next(c for c in caps if c["id"] == cid)["org"] for rel in qrels.values() for cid in rel
    }
    return [
        f"organisations: {sizes['demand']} demand, {sizes['supply']} supply, "
        f"{sizes['authority']} authority; {sum(not o['verified'] for o in orgs)} unverified",
        f"firms by number of capabilities: {sorted(Counter(offered.values()).items())}",
        f"scenarios {len(scen)}, capabilities {len(caps)}, qrels rows "
        f"{sum(map(len, qrels.values()))} "
        f"(grade 2: {sum(g == 2 for r in qrels.values() for g in r.values())}, "
        f"grade 1: {sum(g == 1 for r in qrels.values() for g in r.values())})",
        f"relevant capabilities per published/submitted scenario: "
        f"{sorted(Counter(per[r['id']] for r in live).items())}",
        f"firms owning at least one relevant capability: {len(relevant_firms)}",
        f"scenario status {dict(Counter(r['status'] for r in scen))}; "
        f"capability status {dict(Counter(r['status'] for r in caps))}",
        f"budget not stated: {sum(r['budget_max_wan'] is None for r in scen)} scenarios",
        f"districts outside the central area: "
        f"{sum(r['district'] not in CENTRAL_DISTRICTS for r in scen)} scenarios",
    ]


def main() -> None:
    """Run the checks and print (or write) the statistics."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    jieba.setLogLevel(logging.WARNING)
    world = G.generate()
    facts = sanity(world)
    scen = read_jsonl(ROOT / "eval" / "scenarios.jsonl")
    caps = read_jsonl(ROOT / "eval" / "capabilities.jsonl")
    qrels = read_qrels(ROOT / "eval" / "qrels.tsv")
    raw = evaluate(scen, caps, qrels, normalise=False)
    norm = evaluate(scen, caps, qrels, normalise=True)
    hard = hard_cases(world, qrels, norm["rankings"])
    lines = ["```", *facts, ""]
    for name, res in (("raw text", raw), ("NFKC + t2s normalised", norm)):
        m = res["metrics"]
        lines.append(
            f"lexical baseline, jieba tokens, {name} ({m['n']} scenarios with labels): "
            f"BM25 nDCG@10 {m['ndcg10']:.3f}, recall@10 {m['recall10']:.3f}, "
            f"MRR {m['mrr']:.3f}; Jaccard top-10 precision {m['jaccard_p10']:.3f}, "
            f"recall@10 {m['jaccard_recall10']:.3f}"
        )
    lines.append("")
    lines += [f"{k}: {v}" for k, v in sorted(hard.items())]
    lines.append("```")
    block = "\n".join(lines)
    print(block)
    if args.write_readme:
        readme = ROOT / "README.md"
        text = readme.read_text("utf-8")
        start, end = "<!-- stats:begin -->", "<!-- stats:end -->"
        head, rest = text.split(start)
        _, tail = rest.split(end)
        readme.write_text(f"{head}{start}\n{block}\n{end}{tail}", "utf-8")


if __name__ == "__main__":
    main()
