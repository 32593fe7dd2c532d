"""The article taxonomy: the eleven categories articles are classified into, and their definitions.

A plain domain constant, below every stage: the classifier (:mod:`dateline.enrich.categories`)
predicts into it, the store's queries tell its categories from sources' own claims, and
the site lists them. It imports nothing.
"""

from __future__ import annotations

# The taxonomy, in display order, with the one-line definition the README shows. The
# definitions are also the "label descriptions" the trainer adds as prototype examples.
TAXONOMY: dict[str, str] = {
    "world": "International affairs and news from abroad: diplomacy, foreign governments, "
    "wars and conflicts, disasters in other countries.",
    "politics": "Government and elections: parties, campaigns, legislatures, laws, "
    "officials and public policy.",
    "business": "Companies, markets and the economy: earnings, deals, jobs, trade, prices "
    "and personal finance.",
    "technology": "Computers, the internet, software, smartphones and gadgets, telecoms, "
    "video games and the tech industry.",
    "science": "Research and discovery: space, physics, biology, archaeology, studies and "
    "scientists' findings.",
    "health": "Medicine, disease and public health, fitness, diet, wellbeing and mental health.",
    "environment": "Climate change, pollution, energy and conservation, wildlife and nature, "
    "extreme weather.",
    "crime": "Crimes, police and investigations, arrests, trials, sentences and prisons.",
    "sports": "Games, teams and athletes: leagues, tournaments, results, transfers.",
    "entertainment": "Film, television, music, celebrities, comedy, books and the arts.",
    "lifestyle": "Food and drink, travel, fashion and beauty, home, family and parenting, "
    "relationships.",
}
CATEGORIES: tuple[str, ...] = tuple(TAXONOMY)

__all__ = ["CATEGORIES", "TAXONOMY"]
