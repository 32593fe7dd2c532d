"""The enrich stage: what we derive from stored articles (copies, dates, stories, entities, categories)."""
