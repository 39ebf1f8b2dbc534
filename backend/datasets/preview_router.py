"""Templates, the token-by-token preview and token statistics: rendered by the trainer's own code."""

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["templates"])
