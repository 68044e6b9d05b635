"""Every page router, in one list the app includes (each page module adds its own here)."""

from __future__ import annotations

from fastapi import APIRouter


def page_routers() -> list[APIRouter]:
    from daman.web.home import router as home
    from daman.web.pages import router as sign_in

    return [home, sign_in]
