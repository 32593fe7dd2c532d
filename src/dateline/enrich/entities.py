"""Entities: alias merging within an article and linking across articles.

The read side (entity pages, search filters) is :mod:`dateline.enrich.entity_queries`.

**Keys.** Every name gets a normalised key (:func:`entity_key`): casefolded, diacritics
stripped ("Zelenskyy" and "Zelenskýy" alike), punctuation dropped ("U.S." → "us"), hyphens
as spaces ("Kim Jong-un" = "Kim Jong Un"), a leading "the" and ORG suffixes ("Inc.",
"Ltd") removed. Then each word is folded by transliteration: first the table
``TRANSLITERATIONS`` (Sergey → sergei, Aleksandr → alexander, Zelenskyy → zelensky,
Qaddafi → gaddafi, Kiev → kyiv, …), then, for PERSON words of 5+ letters, three spelling
rules of romanised Russian/Ukrainian names: "ks" before a vowel → "x" (Aleksei → alexei),
a final "iy"/"yy"/"ii" → "y" (Dmitriy → dmitry), a final "ey"/"ay" → "ei"/"ai" (Sergey →
sergei, Nikolay → nikolai). So two full names link only when their surnames agree and
their first names are transliteration variants of each other — never on edit distance.
Common places and organisations have one canonical name (``CANONICAL``: US / U.S. /
United States / America → "United States"; UN → "United Nations"; …).

**Within an article** (:func:`group_mentions`): mentions with the same (kind, key) are one
entity. A PERSON mention whose words are a leading or trailing part of a longer PERSON
name in the same article ("Lavrov" of "Sergei Lavrov", "Kim" of "Kim Jong Un", "Choe" of
"Choe Son Hui") is that person; when several longer names fit ("Kim" with "Kim Jong Un"
and "Kim Yo Jong"), the one mentioned most recently before it wins (the way a reporter
writes), else the most mentioned. An ORG mention of two or more words that ends a longer
ORG name ("National Security Council" of "U.S. National Security Council"; not a leading
part: "White House" is not the "White House National Security Council"), or an all-caps acronym of its initials
("WHO" for "World Health Organization"), is that organisation. A one-word PLACE or ORG
that is the "-ic" adjective of a one-word PLACE of the same article, spelt without its
final "a" ("Antarctic", which the model tags LOC or ORG, in an article that names
"Antarctica"), is that place: the place named in the same article is the evidence, so
"Antarctic" stays itself where Antarctica is not named. Never joined: an adjective that
is itself the name of an ocean or sea (``SEA_ADJECTIVES``: "the Pacific" is not Pacifica,
California), and any other adjective form — "-an", "-ian", "-ese", "-ish", "-i" make
nationalities ("American" is not America), which the model tags NORP and
:mod:`dateline.enrich.ner` drops; even a GPE-tagged "American" stays apart from the
United States. The entity's name is its longest form.

**Across articles** (:func:`link_entities`), in this order, for each article entity:

1. the same (kind, key) is the same entity (the table's unique key);
2. a PERSON known here only by one word (a bare surname, or a Korean/Chinese family name
   first) links to the one stored multi-word PERSON whose key begins or ends with that
   word — only if *exactly one* such person is known; with two ("Kim Jong Un", "Kim Yo
   Jong") it links to neither and stays a one-word entity of its own;
3. any other name links to the one stored entity of its kind that already has it as an
   alias, again only if exactly one entity has it;
4. otherwise it is a new entity.

Entities are never merged after the fact: a bare "Lavrov" stored before any full "Lavrov"
stays separate until its article is enriched again (linking is idempotent and
re-enriching an article replaces its links, so a re-run fixes it).

**Concurrency.** The article's row is locked (``FOR UPDATE`` on PostgreSQL; SQLite's
writer lock serialises anyway) so its links are replaced atomically; entity and alias
inserts are ``ON CONFLICT DO NOTHING`` in sorted order (no deadlocks between two
enrichers); ``article_count`` moves by +1/-1 deltas of the links this call added or
removed, so concurrent articles never lose a count.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dateline.enrich.ner import ORG, PERSON, PLACE, Mention, NerResult, analyse
from dateline.store.models import Article, ArticleEntity, Entity, EntityAlias

NAME_MAX = 255  # the columns' length

TRANSLITERATIONS = {
    # Russian / Ukrainian given names
    "sergey": "sergei",
    "serguei": "sergei",
    "sergej": "sergei",
    "aleksandr": "alexander",
    "alexandr": "alexander",
    "aleksander": "alexander",
    "aleksei": "alexei",
    "alexey": "alexei",
    "aleksey": "alexei",
    "alexej": "alexei",
    "dmitri": "dmitry",
    "dmitriy": "dmitry",
    "dmitrii": "dmitry",
    "yury": "yuri",
    "yuriy": "yuri",
    "iouri": "yuri",
    "jurij": "yuri",
    "andrey": "andrei",
    "nikolay": "nikolai",
    "mikhael": "mikhail",
    "evgeny": "yevgeny",
    "yevgeniy": "yevgeny",
    "evgeniy": "yevgeny",
    "evgenii": "yevgeny",
    "volodimir": "volodymyr",
    "wolodymyr": "volodymyr",
    "maksim": "maxim",
    "arkadiy": "arkady",
    "vasiliy": "vasily",
    "anatoliy": "anatoly",
    # surnames
    "zelenskyy": "zelensky",
    "zelenskiy": "zelensky",
    "zelenski": "zelensky",
    "zelenskii": "zelensky",
    "navalniy": "navalny",
    "qaddafi": "gaddafi",
    "gadhafi": "gaddafi",
    "kadhafi": "gaddafi",
    "qadhafi": "gaddafi",
    "mohammed": "muhammad",
    "mohammad": "muhammad",
    "mohamed": "muhammad",
    "muhammed": "muhammad",
    "mohamad": "muhammad",
    # places
    "kiev": "kyiv",
    "kharkov": "kharkiv",
    "odessa": "odesa",
    "lugansk": "luhansk",
    "peking": "beijing",
}

# (kind, key) → canonical name, for the few places and bodies every paper spells its way.
CANONICAL: dict[tuple[str, str], str] = {
    **{
        (PLACE, k): "United States"
        for k in ("us", "usa", "united states", "united states of america", "america")
    },
    **{(PLACE, k): "United Kingdom" for k in ("uk", "united kingdom", "britain", "great britain")},
    **{(PLACE, k): "United Arab Emirates" for k in ("uae", "united arab emirates")},
    **{(PLACE, k): "Soviet Union" for k in ("ussr", "soviet union")},
    **{(ORG, k): "United Nations" for k in ("un", "united nations")},
    **{(ORG, k): "European Union" for k in ("eu", "european union")},
    **{(PLACE, k): "European Union" for k in ("eu", "european union")},
    **{(ORG, k): "NATO" for k in ("nato", "north atlantic treaty organization")},
    **{
        (ORG, k): "World Health Organization"
        for k in ("who", "world health organization", "world health organisation")
    },
}
# The EU is an organisation; the model often calls it a place.
KIND_OVERRIDES = {(PLACE, "european union"): ORG}

# A leading part of an ORG name is that ORG when the name goes on with one of these
# ("Unity Party" of "Unity Party of America"), never otherwise ("White House" is not the
# "White House National Security Council").
ORG_TAIL_WORDS = {"party", "of", "group", "corporation", "company", "foundation", "association"}
ORG_SUFFIXES = {"inc", "corp", "corporation", "ltd", "llc", "plc", "co", "gmbh", "ag", "sa"}
# "-ic" adjectives that name an ocean or sea on their own: never a "-ica" place.
SEA_ADJECTIVES = frozenset({"pacific", "atlantic", "arctic", "baltic", "adriatic"})
ACRONYM_SKIP = {"of", "the", "and", "for", "in", "on", "de", "du", "des", "la", "&"}
SPECIAL_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i"})
_VOWEL_KS = re.compile(r"ks(?=[aeiouy])")
_FINAL_Y = re.compile(r"(?:iy|yy|ii)$")


# --- names and keys -----------------------------------------------------------------------


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.casefold().translate(SPECIAL_LETTERS))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’.]", "", text)  # "U.S." → "us", "O'Brien" → "obrien"
    return re.sub(r"[^\w]+|_", " ", text).split()


def _fold(word: str, kind: str) -> str:
    word = TRANSLITERATIONS.get(word, word)
    if kind == PERSON and len(word) >= 5 and word.isalpha():
        word = _VOWEL_KS.sub("x", word)
        word = _FINAL_Y.sub("y", word)
        if word.endswith(("ey", "ay")):
            word = word[:-1] + "i"
        word = TRANSLITERATIONS.get(word, word)
    return word


def entity_key(kind: str, name: str) -> str:
    """The normalised key of a name (see the module docstring); "" when nothing is left."""
    words = _words(name)
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    if kind == ORG:
        while len(words) > 1 and words[-1] in ORG_SUFFIXES:
            words = words[:-1]
    key = " ".join(_fold(w, kind) for w in words)[:NAME_MAX]
    canonical = CANONICAL.get((kind, key))
    return entity_key(kind, canonical) if canonical and _words(canonical) != words else key


def canonical_kind_name(kind: str, name: str) -> tuple[str, str]:
    """The (kind, display name) a mention stands for: "U.S." → (PLACE, "United States")."""
    key = entity_key(kind, name)
    kind = KIND_OVERRIDES.get((kind, key), kind)
    return kind, CANONICAL.get((kind, key), name)


# --- within an article ----------------------------------------------------------------------


@dataclass
class ArticleEntityGroup:
    """One entity of one article: its mentions merged under a canonical name."""

    kind: str
    key: str
    name: str
    aliases: set[str] = field(default_factory=set)
    mentions: int = 0
    in_title: bool = False
    positions: list[tuple[int, int]] = field(default_factory=list)

    def add(self, surface: str, mention: Mention, count: int = 1) -> None:
        self.aliases.add(surface)
        self.mentions += count
        self.in_title = self.in_title or mention.in_title
        self.positions.append(_position(mention))

    def absorb(self, other: ArticleEntityGroup) -> None:
        self.aliases |= other.aliases
        self.mentions += other.mentions
        self.in_title = self.in_title or other.in_title
        self.positions.extend(other.positions)


def _position(m: Mention) -> tuple[int, int]:
    return (0 if m.in_title else 1, m.start)


def group_mentions(mentions: Sequence[Mention]) -> list[ArticleEntityGroup]:
    """Merge an article's mentions into its entities (most mentioned first)."""
    resolved = [(m, *canonical_kind_name(m.kind, m.text)) for m in mentions]
    # one kind per name within an article: the kind most of its mentions got
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for _m, kind, name in resolved:
        votes[entity_key(kind, name)][kind] += 1
    groups: dict[tuple[str, str], ArticleEntityGroup] = {}
    group_of: list[tuple[str, str] | None] = []
    for m, kind, name in resolved:
        counts = votes[entity_key(kind, name)]
        best = max((PERSON, ORG, PLACE), key=lambda k: (counts[k], k == kind))
        if best != kind:
            best, name = canonical_kind_name(best, m.text)
        key = entity_key(best, name)
        if not key:
            group_of.append(None)
            continue
        group = groups.setdefault((best, key), ArticleEntityGroup(best, key, name))
        if len(name) > len(group.name):
            group.name = name
        group.add(m.text, m)
        group_of.append((best, key))
    _merge_bracketed_acronyms(groups, mentions, group_of)
    _merge_middle_initials(groups)
    _merge_partial_names(groups, PERSON, min_words=1, leading=True)
    _merge_partial_names(groups, ORG, min_words=2, leading=False)
    _merge_acronyms(groups)
    _merge_place_adjectives(groups)
    return sorted(groups.values(), key=lambda g: (-g.mentions, min(g.positions)))


def _merge_bracketed_acronyms(
    groups: dict[tuple[str, str], ArticleEntityGroup],
    mentions: Sequence[Mention],
    group_of: list[tuple[str, str] | None],
) -> None:
    """ "Kurdistan Workers' Party (PKK)": an all-caps mention right after a name, in
    brackets, is that name's acronym (whatever the initials)."""
    for i in range(1, len(mentions)):
        name, acronym = mentions[i - 1], mentions[i]
        full, short = group_of[i - 1], group_of[i]
        if (
            full is None
            or short is None
            or full == short
            or name.in_title != acronym.in_title
            or acronym.start != name.end + 2
            or " " not in name.text
            or not acronym.text.replace(".", "").isupper()
            or " " in acronym.text
            or full not in groups
            or short not in groups
        ):
            continue
        groups[full].absorb(groups.pop(short))
        group_of[:] = [full if g == short else g for g in group_of]


def _merge_middle_initials(groups: dict[tuple[str, str], ArticleEntityGroup]) -> None:
    """ "John Bolton" in an article that names "John R. Bolton" is that person."""
    with_initials: dict[str, list[str]] = defaultdict(list)
    for kind, key in groups:
        without = " ".join(w for w in key.split() if len(w) > 1)
        if kind == PERSON and without != key and " " in without:
            with_initials[without].append(key)
    for without, keys in with_initials.items():
        if len(keys) == 1 and (PERSON, without) in groups:
            groups[(PERSON, keys[0])].absorb(groups.pop((PERSON, without)))


def _is_part(short: list[str], full: list[str], *, leading: bool = True) -> bool:
    """``short`` begins (when ``leading``, or when what follows is a generic ORG word such as
    "Party" or "of") or ends ``full``."""
    n = len(short)
    if n >= len(full):
        return False
    if full[-n:] == short:
        return True
    return full[:n] == short and (leading or full[n] in ORG_TAIL_WORDS)


def _merge_partial_names(
    groups: dict[tuple[str, str], ArticleEntityGroup], kind: str, *, min_words: int, leading: bool
) -> None:
    keys = [k for (g_kind, k) in groups if g_kind == kind]
    words = {k: k.split() for k in keys}
    # full names: those that are not part of a longer name of the article
    full = [k for k in keys if not any(_is_part(words[k], words[o], leading=leading) for o in keys)]
    for short in sorted(keys, key=lambda k: len(words[k])):
        if short in full or len(words[short]) < min_words:
            continue
        candidates = [f for f in full if _is_part(words[short], words[f], leading=leading)]
        if not candidates:
            continue
        short_group = groups.pop((kind, short))
        target = _pick(short_group, [groups[(kind, c)] for c in candidates])
        target.absorb(short_group)


def _pick(short: ArticleEntityGroup, candidates: list[ArticleEntityGroup]) -> ArticleEntityGroup:
    """The candidate mentioned last before the short form's first mention, else the biggest."""
    if len(candidates) == 1:
        return candidates[0]
    first = min(short.positions)
    before = [
        (max(p for p in c.positions if p < first), c)
        for c in candidates
        if any(p < first for p in c.positions)
    ]
    if before:
        return max(before, key=lambda pc: pc[0])[1]
    return max(candidates, key=lambda c: c.mentions)


def _merge_acronyms(groups: dict[tuple[str, str], ArticleEntityGroup]) -> None:
    orgs = [g for (kind, _), g in groups.items() if kind == ORG]
    initials: dict[str, list[ArticleEntityGroup]] = defaultdict(list)
    for g in orgs:
        letters = "".join(w[0] for w in g.key.split() if w not in ACRONYM_SKIP)
        if len(letters) >= 2 and " " in g.key:
            initials[letters].append(g)
    for g in orgs:
        surfaces = [a for a in g.aliases if a.replace(".", "").isupper()]
        matches = initials.get(g.key, [])
        if " " not in g.key and surfaces and len(matches) == 1 and matches[0] is not g:
            groups.pop((ORG, g.key))
            matches[0].absorb(g)


def _merge_place_adjectives(groups: dict[tuple[str, str], ArticleEntityGroup]) -> None:
    """ "Antarctic" (PLACE or ORG) in an article that names the PLACE "Antarctica" is it."""
    for kind, key in list(groups):
        if (
            kind not in (PLACE, ORG)
            or not key.endswith("ic")
            or not key.isalpha()
            or len(key) < 5
            or key in SEA_ADJECTIVES
        ):
            continue
        place = groups.get((PLACE, key + "a"))
        if place is not None:
            place.absorb(groups.pop((kind, key)))


# --- across articles: the store -------------------------------------------------------------


def _insert(session: Session, model: type[Any]) -> Any:
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(model.__table__)


def link_entities(session: Session, article_id: int, mentions: Sequence[Mention]) -> list[int]:
    """Replace the article's entity links with those of ``mentions``; their entity ids.

    Idempotent: linking the same mentions again changes nothing, and ``article_count``
    stays the number of articles linked to each entity.
    """
    lock = select(Article.id).where(Article.id == article_id)
    if session.get_bind().dialect.name == "postgresql":
        lock = lock.with_for_update()
    if session.scalar(lock) is None:
        raise LookupError(f"no article {article_id}")

    links: dict[int, tuple[int, bool]] = {}
    aliases: set[tuple[int, str]] = set()
    order: list[int] = []
    for group in sorted(group_mentions(mentions), key=lambda g: (g.kind, g.key)):
        entity_id = _resolve(session, group)
        mentions_n, in_title = links.get(entity_id, (0, False))
        links[entity_id] = (mentions_n + group.mentions, in_title or group.in_title)
        aliases.update((entity_id, a[:NAME_MAX]) for a in group.aliases | {group.name})
        order.append(entity_id)

    if aliases:
        session.execute(
            _insert(session, EntityAlias).on_conflict_do_nothing(
                index_elements=["entity_id", "alias"]
            ),
            [{"entity_id": e, "alias": a} for e, a in sorted(aliases)],
        )
    old = set(
        session.scalars(
            delete(ArticleEntity)
            .where(ArticleEntity.article_id == article_id)
            .returning(ArticleEntity.entity_id)
        )
    )
    if links:
        session.execute(
            _insert(session, ArticleEntity),
            [
                {"article_id": article_id, "entity_id": e, "mentions": n, "in_title": t}
                for e, (n, t) in sorted(links.items())
            ],
        )
    deltas = dict.fromkeys(links.keys() - old, 1) | dict.fromkeys(old - links.keys(), -1)
    for entity_id, delta in sorted(deltas.items()):  # row by row, in id order: no deadlocks
        session.execute(
            update(Entity)
            .where(Entity.id == entity_id)
            .values(article_count=Entity.article_count + delta)
        )
    return sorted(links, key=lambda e: (-links[e][1], -links[e][0], order.index(e)))


def _resolve(session: Session, group: ArticleEntityGroup) -> int:
    kind, key = group.kind, group.key
    if kind == PERSON and " " not in key:  # rule 2: a bare name links only when unambiguous
        people = session.scalars(
            select(Entity.id)
            .where(
                Entity.kind == PERSON,
                or_(Entity.key.like(f"{key} %"), Entity.key.like(f"% {key}")),
            )
            .order_by(Entity.id)
            .limit(2)
        ).all()
        if len(people) == 1:
            return people[0]
        if len(people) > 1:
            return _create(session, group)  # ambiguous: stays a one-word entity of its own
    found = session.scalar(select(Entity.id).where(Entity.kind == kind, Entity.key == key))
    if found is not None:  # rule 1
        return found
    # rule 3: only the group's spellings of its own key ("KCNA", not the "Kim" of a "Kim
    # Yo Jong" group), so a short alias never drags a full name onto someone else
    spellings = sorted(a for a in group.aliases if entity_key(kind, a) == key)
    if spellings:
        holders = session.scalars(
            select(EntityAlias.entity_id)
            .join(Entity, Entity.id == EntityAlias.entity_id)
            .where(Entity.kind == kind, EntityAlias.alias.in_(spellings))
            .distinct()
            .limit(2)
        ).all()
        if len(holders) == 1:
            return holders[0]
    return _create(session, group)


def _create(session: Session, group: ArticleEntityGroup) -> int:
    session.execute(
        _insert(session, Entity).on_conflict_do_nothing(index_elements=["kind", "key"]),
        {"kind": group.kind, "key": group.key, "name": group.name[:NAME_MAX], "article_count": 0},
    )
    return session.scalars(
        select(Entity.id).where(Entity.kind == group.kind, Entity.key == group.key)
    ).one()


@dataclass(frozen=True)
class EnrichResult:
    entity_ids: list[int]
    reason: str | None = None


def enrich_article_entities(session: Session, article_id: int) -> EnrichResult:
    """Run NER on a stored article and replace its links; non-English: none, with a reason."""
    row = session.execute(
        select(Article.title, Article.body, Article.language).where(Article.id == article_id)
    ).one_or_none()
    if row is None:
        raise LookupError(f"no article {article_id}")
    result: NerResult = analyse([(row.title, row.body, row.language)])[0]
    return EnrichResult(link_entities(session, article_id, result.mentions), result.reason)


def analyse_stored(session: Session, article_ids: Sequence[int]) -> dict[int, NerResult]:
    """NER on many stored articles in one spaCy pass (missing ids are left out).

    Batching is what makes the model fast: one ``nlp.pipe`` over a batch instead of a call
    per article. Linking stays per article (:func:`link_entities`), in short transactions.
    """
    rows = session.execute(
        select(Article.id, Article.title, Article.body, Article.language).where(
            Article.id.in_(list(article_ids))
        )
    ).all()
    results = analyse([(r.title, r.body, r.language) for r in rows])
    return {int(r.id): result for r, result in zip(rows, results, strict=True)}
