"""HTTP endpoints of the reference domain."""

from fastapi import APIRouter

router = APIRouter(tags=["reference"])
