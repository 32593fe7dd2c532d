"""The ingest benchmark's input: 10,000 distinct articles as JSON lines, built at bench time.

Varied copies of one corpus would measure dedup's attach path, not ingest, so every article
here is distinct. The headline, lead, date, section and address of each are a row of the
News Category subset in ``../shared/corpora/news-category/`` (HuffPost, CC BY 4.0; read at
bench time, never shipped); its body continues with paragraphs drawn from a word-level
Markov chain (order 2) over the bundled Wikinews corpus, so bodies have news-length
paragraphs, real names for the entity recogniser and no long runs shared between articles
(two bodies share a 5-word shingle rarely, far below the copy threshold). Deterministic for
a seed; cached under ``bench/.cache``.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict
from pathlib import Path

from dateline.demo import demo_corpus_path

REPO = Path(__file__).resolve().parent.parent
NEWS_CATEGORY = (
    REPO.parent / "shared" / "corpora" / "news-category" / "news_category_subset.jsonl.gz"
)
CACHE = REPO / "bench" / ".cache"
VERSION = 1


def _chain() -> tuple[dict[tuple[str, str], list[str]], list[tuple[str, str]]]:
    """Successors of each word pair, and the pairs that start a sentence."""
    successors: dict[tuple[str, str], list[str]] = defaultdict(list)
    starts: list[tuple[str, str]] = []
    with gzip.open(demo_corpus_path(), "rt", encoding="utf-8") as handle:
        for line in handle:
            body = json.loads(line)["body"]
            text = body if isinstance(body, str) else "\n\n".join(body)
            for paragraph in text.split("\n"):
                words = paragraph.split()
                for i in range(len(words) - 2):
                    pair = (words[i], words[i + 1])
                    successors[pair].append(words[i + 2])
                    if i == 0 or words[i - 1].endswith("."):
                        starts.append(pair)
    return successors, starts


def _paragraph(rng: random.Random, chain: dict, starts: list, words: int) -> str:
    a, b = rng.choice(starts)
    out = [a, b]
    while len(out) < words or not out[-1].endswith("."):
        nxt = chain.get((a, b))
        if not nxt or len(out) > words * 2:
            a, b = rng.choice(starts)
            out[-1] = out[-1].rstrip(",;:") + ("" if out[-1].endswith(".") else ".")
            out.extend((a, b))
            continue
        word = rng.choice(nxt)
        out.append(word)
        a, b = b, word
    return " ".join(out)


def build(path: Path, count: int = 10_000, seed: int = 11) -> Path:
    """Write ``count`` articles to ``path`` (JSON lines); the path."""
    if not NEWS_CATEGORY.exists():
        raise SystemExit(f"{NEWS_CATEGORY} not found: the benchmark reads ../shared/corpora")
    chain, starts = _chain()
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with (
        gzip.open(NEWS_CATEGORY, "rt", encoding="utf-8") as rows,
        path.open("w", encoding="utf-8") as out,
    ):
        for line in rows:
            if written >= count:
                break
            row = json.loads(line)
            paragraphs = [row["short_description"]] + [
                _paragraph(rng, chain, starts, rng.randint(40, 90))
                for _ in range(rng.randint(3, 6))
            ]
            record = {
                "id": f"nc-{written}",
                "url": row["link"],
                "title": row["headline"],
                "published": row["date"],
                "categories": [row["category"].title()],
                "byline": row.get("authors") or None,
                "body": "\n\n".join(paragraphs),
            }
            out.write(json.dumps(record) + "\n")
            written += 1
    if written < count:
        raise SystemExit(f"only {written} rows in {NEWS_CATEGORY}; asked for {count}")
    return path


def corpus(count: int = 10_000, seed: int = 11) -> Path:
    """The cached corpus for these options (built on first use)."""
    path = CACHE / f"ingest-v{VERSION}-{count}-{seed}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".partial")
        build(tmp, count, seed)
        tmp.replace(path)
    return path
