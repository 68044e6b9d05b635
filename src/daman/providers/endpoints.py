"""HTTP endpoints of the providers domain."""

from fastapi import APIRouter

router = APIRouter(tags=["providers"])
