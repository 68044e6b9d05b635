"""Every page router, in one list the app includes (each page module adds its own here)."""

from __future__ import annotations

from fastapi import APIRouter


def page_routers() -> list[APIRouter]:
    from daman.web.admin import router as admin
    from daman.web.admin_lists import router as admin_lists
    from daman.web.admin_reference import router as admin_reference
    from daman.web.authorisations import router as authorisations
    from daman.web.care import router as care
    from daman.web.claim_page import router as claim_page
    from daman.web.contributions import router as contributions
    from daman.web.contributions_office import router as contributions_office
    from daman.web.control import router as control
    from daman.web.exemptions import router as exemptions
    from daman.web.home import router as home
    from daman.web.pages import router as sign_in
    from daman.web.paper_sheets import router as paper_sheets
    from daman.web.persons import router as persons
    from daman.web.pharmacy_counter import router as pharmacy_counter
    from daman.web.portal import router as portal
    from daman.web.portal_office import router as portal_office
    from daman.web.portal_send import router as portal_send
    from daman.web.portal_sign_in import router as sign_in_code
    from daman.web.provider_claims import router as provider_claims
    from daman.web.verify import router as verify

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
        admin_reference,
        admin_lists,
        care,
        pharmacy_counter,
        provider_claims,
        sign_in_code,
        verify,
        portal,
        portal_send,
        portal_office,
        contributions,
        contributions_office,
    ]


def wide_bodies() -> dict[str, int]:
    """Pages whose forms carry several documents at once, and the body each may send."""
    from daman.web.portal_send import wide_bodies as portal

    return portal()
