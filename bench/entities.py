"""Entity benchmark: NER + alias merging on hand-annotated Wikinews articles.

Usage: ``python bench/entities.py [--annotations FILE] [--json OUT] [--speed-sample N]
[--gate]`` (the gate: the floors of ``bench/baseline.json`` "entities", and above
spacy-raw's F1 in the same run)

``tests/data/entities/annotations.jsonl`` holds, for 20 articles of the bundled demo
corpus (Wikinews, CC BY 2.5; ids only, the text is read from the corpus), every person,
organisation and place a careful reader would name, with the spellings the article uses
(guidelines: ``tests/data/entities/README.md``).

Scored at the level of **canonical entities per article**: a predicted entity (its name
and all the spellings merged into it) matches a gold entity of the same kind when any of
their spellings agree after light normalisation (case, diacritics, punctuation, a leading
"the"); matching is one-to-one, so an entity the system split in two counts one true
positive and one false positive. Two systems run in the same process:

* ``dateline``: :func:`dateline.enrich.ner.analyse` + :func:`dateline.enrich.entities.group_mentions`
  (the library as the enrich stage runs it);
* ``spacy-raw``: the same spaCy model's entities, labels mapped the same way, one entity per
  distinct surface text — no fixes, no alias merging (the baseline).

Also reported: **alias merging** (of the gold entities written more than one way, the
share whose detected spellings all landed in one predicted entity; and predicted entities
that wrongly merged two gold ones), **cross-article linking** (the 20 articles linked
into a throwaway SQLite store with :func:`link_entities`; pairwise precision/recall of
"same entity" over matched mentions in different articles) and **throughput**.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from sqlalchemy import select  # noqa: E402

from bench_output import gate_exit  # noqa: E402
from dateline.demo import demo_corpus_path  # noqa: E402
from dateline.enrich import ner  # noqa: E402
from dateline.enrich.entities import group_mentions, link_entities  # noqa: E402
from dateline.store.db import Store  # noqa: E402
from dateline.store.models import Article, ArticleEntity, Entity, EntityAlias  # noqa: E402
from dateline.store.schema import upgrade  # noqa: E402

DEFAULT_ANNOTATIONS = REPO / "tests" / "data" / "entities" / "annotations.jsonl"
DEFAULT_JSON = REPO / "bench" / "results" / "entities.json"
BASELINE = REPO / "bench" / "baseline.json"
KINDS = ("PERSON", "ORG", "PLACE")


def norm(text: str) -> str:
    """Light normalisation for matching (deliberately not the library's key)."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’.]", "", text)
    words = re.sub(r"[^\w]+", " ", text).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def load(annotations: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    gold = [
        json.loads(line) for line in annotations.read_text(encoding="utf-8").splitlines() if line
    ]
    wanted = {g["id"] for g in gold}
    corpus = {}
    with gzip.open(demo_corpus_path(), "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["id"] in wanted:
                corpus[row["id"]] = row
    missing = wanted - corpus.keys()
    if missing:
        raise SystemExit(f"annotated ids not in the demo corpus: {sorted(missing)}")
    return gold, corpus


# --- systems: each returns, per article, [(kind, name, {spellings})] ----------------------

Predicted = list[tuple[str, str, set[str]]]


def dateline_system(articles: list[dict[str, Any]]) -> list[Predicted]:
    results = ner.analyse((a["title"], a["body"], "en") for a in articles)
    return [
        [(g.kind, g.name, g.aliases | {g.name}) for g in group_mentions(r.mentions)]
        for r in results
    ]


def raw_spacy_system(articles: list[dict[str, Any]]) -> list[Predicted]:
    nlp = ner.load_pipeline()
    out = []
    for a in articles:
        seen: dict[tuple[str, str], None] = {}
        for doc in nlp.pipe([a["title"], a["body"]]):
            for ent in doc.ents:
                kind = ner.LABEL_KIND.get(ent.label_)
                if kind:
                    seen[(kind, ent.text)] = None
        out.append([(kind, text, {text}) for kind, text in seen])
    return out


# --- scoring ------------------------------------------------------------------------------


def match_article(gold: list[dict[str, Any]], pred: Predicted) -> dict[str, Any]:
    """One-to-one matches (gold index → pred index) plus alias-merge facts."""
    gold_keys = [{norm(s) for s in [g["name"], *g["aliases"]]} for g in gold]
    pred_keys = [{norm(s) for s in spellings} for _, _, spellings in pred]
    matches: dict[int, int] = {}
    for p, (kind, _, _) in enumerate(pred):
        for gi, g in enumerate(gold):
            if gi not in matches and g["kind"] == kind and gold_keys[gi] & pred_keys[p]:
                matches[gi] = p
                break
    # alias merging: gold entities written 2+ ways whose spellings the system found 2+ of
    merge_total = merge_ok = 0
    for keys in gold_keys:
        holders = [p for p, pk in enumerate(pred_keys) if pk & keys]
        found = set().union(*(pred_keys[p] & keys for p in holders)) if holders else set()
        if len(keys) > 1 and len(found) > 1:
            merge_total += 1
            merge_ok += any(found <= pred_keys[p] for p in holders)
    wrong_merges = sum(1 for pk in pred_keys if sum(1 for gk in gold_keys if gk & pk) > 1)
    return {
        "matches": matches,
        "merge_total": merge_total,
        "merge_ok": merge_ok,
        "wrong_merges": wrong_merges,
    }


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float | int]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(f, 3),
        "tp": tp,
        "predicted": n_pred,
        "gold": n_gold,
    }


def score(gold_rows: list[dict[str, Any]], preds: list[Predicted]) -> dict[str, Any]:
    tp: dict[str, int] = defaultdict(int)
    n_pred: dict[str, int] = defaultdict(int)
    n_gold: dict[str, int] = defaultdict(int)
    merge_total = merge_ok = wrong_merges = 0
    errors = []
    for row, pred in zip(gold_rows, preds, strict=True):
        m = match_article(row["entities"], pred)
        for g in row["entities"]:
            n_gold[g["kind"]] += 1
        for kind, _, _ in pred:
            n_pred[kind] += 1
        for gi in m["matches"]:
            tp[row["entities"][gi]["kind"]] += 1
        merge_total += m["merge_total"]
        merge_ok += m["merge_ok"]
        wrong_merges += m["wrong_merges"]
        matched_pred = set(m["matches"].values())
        errors.append(
            {
                "id": row["id"],
                "missed": [
                    g["name"] for gi, g in enumerate(row["entities"]) if gi not in m["matches"]
                ],
                "spurious": [
                    f"{k}:{n}" for p, (k, n, _) in enumerate(pred) if p not in matched_pred
                ],
            }
        )
    result: dict[str, Any] = {k: prf(tp[k], n_pred[k], n_gold[k]) for k in KINDS}
    result["overall"] = prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    result["alias_merging"] = {
        "gold_entities_with_2plus_spellings_found": merge_total,
        "merged_into_one": merge_ok,
        "accuracy": round(merge_ok / merge_total, 3) if merge_total else None,
        "wrong_merges": wrong_merges,
    }
    result["errors"] = errors
    return result


def cross_article(
    gold_rows: list[dict[str, Any]], articles: list[dict[str, Any]], preds: list[Predicted]
) -> dict[str, Any]:
    """Link all articles into one SQLite store; pairwise same-entity precision/recall."""
    results = ner.analyse((a["title"], a["body"], "en") for a in articles)
    linked: list[dict[int, int]] = []  # per article: prediction index → stored entity id
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        upgrade(store)
        started = time.perf_counter()
        for a, r in zip(articles, results, strict=True):
            with store.write() as session:
                row = Article(
                    title=a["title"],
                    body=a["body"],
                    language="en",
                    body_hash=hashlib.sha256(a["body"].encode()).hexdigest(),
                    first_seen_at=datetime(2020, 1, 1),
                    word_count=0,
                )
                session.add(row)
                session.flush()
                link_entities(session, row.id, r.mentions)
                linked.append(
                    {
                        p: _stored_id(session, row.id, g)
                        for p, g in enumerate(group_mentions(r.mentions))
                    }
                )
        link_seconds = time.perf_counter() - started
        store.dispose()
    occurrences = []  # (article, gold entity, stored entity id) for matched gold entities
    for n, (row, pred) in enumerate(zip(gold_rows, preds, strict=True)):
        for gi, p in match_article(row["entities"], pred)["matches"].items():
            g = row["entities"][gi]
            occurrences.append((n, (g["kind"], norm(g["name"])), linked[n].get(p, -1)))
    tp = fp = fn = 0
    for (a1, g1, e1), (a2, g2, e2) in combinations(occurrences, 2):
        if a1 == a2:
            continue
        same_gold, same_pred = g1 == g2, e1 == e2 and e1 != -1
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    return {
        "gold_pairs_same_entity": tp + fn,
        "pairwise_precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "pairwise_recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "link_articles_per_second_sqlite": round(len(articles) / link_seconds, 1),
    }


def _stored_id(session: Any, article_id: int, group: Any) -> int:
    """The stored entity an article-level group was linked to (found by its name alias)."""
    found = session.scalar(
        select(Entity.id)
        .join(ArticleEntity, ArticleEntity.entity_id == Entity.id)
        .join(EntityAlias, EntityAlias.entity_id == Entity.id)
        .where(
            ArticleEntity.article_id == article_id,
            Entity.kind == group.kind,
            EntityAlias.alias == group.name,
        )
        .limit(1)
    )
    return int(found) if found is not None else -1


def throughput(sample: int) -> dict[str, Any]:
    rows = []
    with gzip.open(demo_corpus_path(), "rt", encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if len(rows) >= sample:
                break
    ner.load_pipeline()
    started = time.perf_counter()
    results = ner.analyse((r["title"], r["body"], "en") for r in rows)
    for r in results:
        group_mentions(r.mentions)
    seconds = time.perf_counter() - started
    chars = sum(len(r["title"]) + len(r["body"]) for r in rows)
    return {
        "articles": len(rows),
        "mean_chars": round(chars / len(rows)),
        "articles_per_second": round(len(rows) / seconds, 2),
        "ms_per_1000_chars": round(1000 * seconds / (chars / 1000), 2),
    }


def table(results: dict[str, Any]) -> str:
    lines = [
        "| system | kind | precision | recall | F1 | gold | predicted |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for system in ("dateline", "spacy-raw"):
        for kind in (*KINDS, "overall"):
            r = results[system][kind]
            lines.append(
                f"| {system} | {kind} | {r['precision']:.3f} | {r['recall']:.3f} | "
                f"{r['f1']:.3f} | {r['gold']} | {r['predicted']} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotations", type=Path, default=DEFAULT_ANNOTATIONS)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument(
        "--speed-sample", type=int, default=60, help="demo articles timed for throughput (0: skip)"
    )
    parser.add_argument("--gate", action="store_true", help="exit 1 below the floors")
    args = parser.parse_args(argv)

    gold, corpus = load(args.annotations)
    articles = [corpus[g["id"]] for g in gold]
    ner.load_pipeline()
    started = time.perf_counter()
    ours = dateline_system(articles)
    ours_seconds = time.perf_counter() - started
    raw = raw_spacy_system(articles)
    results: dict[str, Any] = {
        "model": ner.MODEL_NAME,
        "articles": len(gold),
        "gold_entities": sum(len(g["entities"]) for g in gold),
        "dateline": score(gold, ours),
        "spacy-raw": score(gold, raw),
        "cross_article": cross_article(gold, articles, ours),
        "annotated_articles_per_second": round(len(articles) / ours_seconds, 2),
    }
    if args.speed_sample:
        results["throughput"] = throughput(args.speed_sample)
    print(table(results))
    am = results["dateline"]["alias_merging"]
    print(
        f"\nalias merging: {am['merged_into_one']}/{am['gold_entities_with_2plus_spellings_found']}"
        f" = {am['accuracy']}; wrong merges: {am['wrong_merges']}"
        f" (spacy-raw: {results['spacy-raw']['alias_merging']['accuracy']})"
    )
    print(f"cross-article: {results['cross_article']}")
    if "throughput" in results:
        print(f"throughput: {results['throughput']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return gate_exit(gate(results, BASELINE) if args.gate else None)


def gate(results: dict[str, Any], baseline: Path) -> list[str]:
    """The floors (deterministic figures less rounding) and the same-run baseline."""
    floors = json.loads(baseline.read_text(encoding="utf-8"))["entities"]
    ours = results["dateline"]
    figures = {
        "f1": ours["overall"]["f1"],
        "alias_accuracy": ours["alias_merging"]["accuracy"],
        "cross_article_precision": results["cross_article"]["pairwise_precision"],
        "cross_article_recall": results["cross_article"]["pairwise_recall"],
    }
    out = [
        f"{name} {value} is below the floor {floors[name + '_floor']}"
        for name, value in figures.items()
        if value < floors[name + "_floor"]
    ]
    if ours["alias_merging"]["wrong_merges"] > floors["wrong_merges_max"]:
        out.append(f"{ours['alias_merging']['wrong_merges']} wrong alias merges")
    raw = results["spacy-raw"]["overall"]["f1"]
    if figures["f1"] <= raw:
        out.append(f"F1 {figures['f1']} does not beat spacy-raw's {raw} (same run)")
    return out


if __name__ == "__main__":
    sys.exit(main())
