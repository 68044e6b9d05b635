"""HTTP endpoints of the adjudication domain."""

from fastapi import APIRouter

router = APIRouter(tags=["adjudication"])
