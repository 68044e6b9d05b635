"""HTTP endpoints of the claims domain."""

from fastapi import APIRouter

router = APIRouter(tags=["claims"])
