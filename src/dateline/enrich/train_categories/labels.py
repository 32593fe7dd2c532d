"""Training labels: the data sets' own categories mapped onto the taxonomy, and prototypes.

HuffPost sections (:data:`HUFFPOST_TO_TAXONOMY`, with the sections left out and why in
:data:`HUFFPOST_DROPPED`), Wikinews categories (:func:`wikinews_label`), and the invented
prototype headlines per category (:data:`PROTOTYPES`). Plain tables and two lookups.
"""

from __future__ import annotations

from collections.abc import Sequence

# HuffPost section → our category. Every mapped section's rows are (on inspection of a
# sample) mostly about that category.
HUFFPOST_TO_TAXONOMY: dict[str, str] = {
    "WORLD NEWS": "world",
    "POLITICS": "politics",
    "BUSINESS": "business",
    "MONEY": "business",  # personal finance
    "TECH": "technology",
    "SCIENCE": "science",
    "WELLNESS": "health",
    "HEALTHY LIVING": "health",  # not in the 10k slice; in the full dataset
    "ENVIRONMENT": "environment",
    "GREEN": "environment",  # not in the 10k slice; in the full dataset
    "CRIME": "crime",
    "SPORTS": "sports",
    "ENTERTAINMENT": "entertainment",
    "COMEDY": "entertainment",  # late-night shows, SNL, comedians
    "CULTURE & ARTS": "entertainment",
    "ARTS": "entertainment",
    "ARTS & CULTURE": "entertainment",
    "STYLE & BEAUTY": "lifestyle",
    "STYLE": "lifestyle",
    "FOOD & DRINK": "lifestyle",
    "TASTE": "lifestyle",
    "HOME & LIVING": "lifestyle",
    "PARENTING": "lifestyle",
    "PARENTS": "lifestyle",
    "TRAVEL": "lifestyle",
    "WEDDINGS": "lifestyle",
    "DIVORCE": "lifestyle",
}
# Sections left out, and why: each mixes several of our categories, so its label would
# teach the model noise.
HUFFPOST_DROPPED: dict[str, str] = {
    "U.S. NEWS": "US domestic news of every kind: shootings and trials (crime), storms "
    "(environment), Trump and the courts (politics); neither 'world' nor one category",
    "MEDIA": "news about the news media; mostly political commentary by TV hosts",
    "WEIRD NEWS": "odd stories of any topic",
    "IMPACT": "social-good features spanning business, environment and health",
    "BLACK VOICES": "a community section spanning politics, crime and entertainment",
    "QUEER VOICES": "a community section spanning politics and entertainment",
    "LATINO VOICES": "a community section spanning politics and entertainment",
    "WOMEN": "a community section spanning politics, health and entertainment",
    "RELIGION": "no matching category (religion is not in the taxonomy)",
    "EDUCATION": "no matching category (education is not in the taxonomy)",
}

# Wikinews topic categories → ours, tried in this order (an article can carry several:
# the first listed that it has wins).
WIKINEWS_TOPICS: tuple[tuple[str, str], ...] = (
    ("Sports", "sports"),
    ("Crime and law", "crime"),
    ("Culture and entertainment", "entertainment"),
    ("Economy and business", "business"),
    ("Environment", "environment"),
    ("Science and technology", "science"),  # → technology when a computing tag is present
    ("Politics and conflicts", "politics"),  # → world when two or more countries are named
    ("Disasters and accidents", "world"),
    ("Earthquakes", "world"),
)
WIKINEWS_COMPUTING_TAGS = frozenset(
    {"Internet", "Computing", "Computers", "Software", "FLOSS", "Mozilla", "Mozilla Firefox"}
)
# Country categories that appear in the corpus (and their usual neighbours): an article in
# "Politics and conflicts" tagged with two or more of these is international → world.
WIKINEWS_COUNTRIES = frozenset(
    {
        "Afghanistan", "Australia", "Austria", "Brazil", "Canada", "Chile", "China", "Cuba",
        "France", "Germany", "India", "Indonesia", "Iran", "Iraq", "Israel", "Italy", "Japan",
        "Kenya", "Maldives", "Mexico", "North Korea", "Pakistan", "Palestine", "Russia",
        "South Korea", "Spain", "Sri Lanka", "Thailand", "Turkey", "Ukraine",
        "United Kingdom", "United States",
    }
)  # fmt: skip

# Label descriptions and invented example headlines, per category (see module docstring).
PROTOTYPES: dict[str, tuple[str, ...]] = {
    "world": (
        "Foreign ministers meet in Geneva for talks on the ceasefire",
        "Troops pull back from the border after weeks of clashes",
        "Prime minister visits Beijing to discuss trade and security ties",
        "United Nations envoy warns of famine in the war-torn region",
        "Embassy evacuated as rebels advance on the capital",
        "Earthquake kills hundreds in mountain villages; rescuers search rubble",
        "Kremlin says the president will travel abroad for a summit",
        "Protesters fill the streets of the capital demanding the junta step down",
        "Refugees cross the border as fighting intensifies",
        "Navy ships sail through disputed waters, angering neighbours",
    ),
    "politics": (
        "Senate passes the spending bill after a late-night vote",
        "Governor signs new voting law as opposition vows a challenge",
        "Candidate leads in the polls ahead of the primary election",
        "Parliament debates the budget as the coalition splits",
        "White House defends the president's nominee before the hearing",
        "Lawmakers question the minister over the failed policy",
        "Party chooses new leader after the election defeat",
        "Court ruling on the district map sparks a political fight",
        "Mayor's re-election campaign launches its first television advert",
        "Opposition calls for a no-confidence vote in the government",
    ),
    "business": (
        "Airline's shares fall as it cuts its profit forecast",
        "Central bank raises interest rates to fight inflation",
        "Supermarket chain reports record annual sales",
        "Brewer agrees to a takeover by its larger rival",
        "Factory output slows as export orders drop",
        "Unemployment falls as employers add jobs",
        "Chief executive steps down after a quarterly loss",
        "How to pay down credit card debt and build savings",
        "Shipping costs climb as trade disputes disrupt supply chains",
        "Bond yields rise as investors expect higher inflation",
    ),
    "technology": (
        "New laptop comes with a faster chip and longer battery life",
        "Hackers breach the company's servers and steal passwords",
        "Software bug lets attackers take over home routers",
        "Social network changes its privacy settings after criticism",
        "Search engine adds artificial intelligence answers",
        "Console maker cuts the price of its games machine",
        "Messaging app adds end-to-end encryption for group chats",
        "Broadband provider promises faster fibre connections",
        "Tablet review: a sharp screen but few apps",
        "Open-source developers release a new version of the operating system",
    ),
    "science": (
        "Astronomers discover a planet orbiting a distant star",
        "Space probe sends back images of a comet",
        "Physicists observe a new particle at the collider",
        "Scientists sequence the genome of an ancient plant",
        "Archaeologists unearth a Roman villa",
        "Researchers find bees can learn to count",
        "Rocket launches a telescope into orbit",
        "Study of deep-sea microbes reveals how life copes without sunlight",
        "Dinosaur fossil found in a quarry is a new species",
        "Chemists make a material that repairs itself",
    ),
    "health": (
        "New vaccine approved by regulators for the flu season",
        "Doctors warn of a measles outbreak",
        "Hospital waiting times grow as staff shortages bite",
        "How to manage anxiety and stress",
        "Drug trial shows promise against Alzheimer's disease",
        "Cancer rates fall as fewer people smoke",
        "Regular exercise lowers the risk of heart disease, doctors say",
        "Health officials report new virus cases",
        "Too little sleep raises the risk of diabetes",
        "Nurses say the clinic is running out of medicine",
    ),
    "environment": (
        "Wildfires burn thousands of acres as a heat wave grips the region",
        "Climate summit ends with a pledge to cut emissions",
        "Endangered turtles return to the nesting beach",
        "Oil spill threatens the coastline and its birds",
        "City bans plastic bags to cut waste",
        "Drought leaves reservoirs at record lows",
        "New wind farm to power a million homes",
        "Glaciers are melting faster than expected",
        "Logging ban to protect rainforest",
        "River pollution kills thousands of fish",
    ),
    "crime": (
        "Police arrest a suspect after a fatal shooting",
        "Man sentenced to 20 years for armed robbery",
        "Jury finds the former officer guilty of murder",
        "Detectives investigate a string of burglaries",
        "Drug smuggling ring broken up by authorities",
        "Woman charged with fraud after stealing from clients",
        "Prison escapee captured after a manhunt",
        "Trial begins for the accused killer",
        "Teenager stabbed outside a nightclub",
        "Bank robber caught on camera",
    ),
    "sports": (
        "Striker scores twice as the club wins the derby",
        "Tennis champion advances to the final",
        "Team fires its coach after a losing season",
        "Quarterback signs a record contract",
        "Olympic sprinter breaks the world record",
        "Basketball playoffs: underdogs force game seven",
        "Golfer wins the major with a final-round 66",
        "Cyclist leads the race after the mountain stage",
        "League suspends player for doping",
        "Boxer retains his title with a late knockout",
    ),
    "entertainment": (
        "Rapper's new album debuts at number one",
        "Horror film surprises critics at the festival premiere",
        "Sitcom star lands a role in a superhero movie",
        "Late-night host mocks the senator's speech",
        "Novelist wins the literary prize for her debut",
        "Drama series renewed for a fourth season",
        "Singer cancels concerts after losing her voice",
        "Oscar nominations announced",
        "Museum opens an exhibition of the painter's work",
        "Actor opens up about fame in a new memoir",
    ),
    "lifestyle": (
        "Ten easy recipes for weeknight dinners",
        "The best beaches to visit this summer",
        "Spring fashion trends: what to wear this season",
        "How to decorate a small apartment",
        "Parents share tips for getting toddlers to sleep",
        "Wedding planning on a budget",
        "The skincare routine dermatologists recommend",
        "Hidden gems for a weekend in Lisbon",
        "Why families should eat dinner together",
        "A guide to natural wines",
    ),
}


def map_huffpost(section: str) -> str | None:
    return HUFFPOST_TO_TAXONOMY.get(section.strip().upper())


def wikinews_label(categories: Sequence[str]) -> str | None:
    """Our category for a Wikinews article's categories (rules in :data:`WIKINEWS_TOPICS`)."""
    tags = set(categories)
    for topic, label in WIKINEWS_TOPICS:
        if topic not in tags:
            continue
        if topic == "Science and technology" and tags & WIKINEWS_COMPUTING_TAGS:
            return "technology"
        if topic == "Politics and conflicts" and len(tags & WIKINEWS_COUNTRIES) >= 2:
            return "world"
        return label
    return None
