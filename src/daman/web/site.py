"""Every page router, in one list the app includes (each page module adds its own here)."""

from __future__ import annotations

from fastapi import APIRouter


def page_routers() -> list[APIRouter]:
    from daman.web.admin import router as admin
    from daman.web.authorisations import router as authorisations
    from daman.web.claim_page import router as claim_page
    from daman.web.control import router as control
    from daman.web.exemptions import router as exemptions
    from daman.web.home import router as home
    from daman.web.pages import router as sign_in
    from daman.web.paper_sheets import router as paper_sheets
    from daman.web.persons import router as persons

    # paper_sheets before claim_page: /office/claims/new is not a claim numbered "new"
    return [
        home,
        sign_in,
        persons,
        paper_sheets,
        claim_page,
        control,
        authorisations,
        exemptions,
        admin,
    ]
