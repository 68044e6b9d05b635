"""HTTP endpoints of the registry domain."""

from fastapi import APIRouter

router = APIRouter(tags=["registry"])
