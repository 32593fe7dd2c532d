"""RSS 2.0 and Atom feeds, sitemap.xml and robots.txt (to be filled)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
