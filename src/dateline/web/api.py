"""The JSON API under /api/v1 (to be filled)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
