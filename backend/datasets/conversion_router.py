"""Turning a labelled table (Label, Text) into instruction data, and downloading splits."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/datasets", tags=["datasets"])
