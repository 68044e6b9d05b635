"""An agent finds a person and reads their file and a claim, in a real browser, in French
and in Arabic, on a desktop and on a phone; and the search works with JavaScript off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.served import Server
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit

# What an agent types: part of the name, with the spelling a person may use (Benali is
# بنعلي in the registry: the Arabic search types the final ya as an alef maqsura).
TYPED = {"fr": "BENALI youss", "ar": "يوسف بنعلى"}
EMPLOYEE = "DM0000000194"  # the demo's first person, Youssef Benali


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("agent"))) as server:
        yield server


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_an_agent_finds_a_person_as_they_type_and_reads_the_file_and_a_claim(
    browser: Any, site: Server, lang: str, phone: bool
) -> None:
    device = "phone" if phone else "desktop"
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "agent")
        page.goto(f"/office/persons?lang={lang}")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        assert page.locator("#agency-title").count() == 1  # the agency's paper claims first
        accessible(page)
        page.locator("#q").press_sequentially(TYPED[lang], delay=30)  # no submit: HTMX
        person = page.locator(f"#results a[href='/office/persons/{EMPLOYEE}']")
        person.wait_for()
        assert "q=" in page.url  # the address follows the search
        accessible(page)
        no_sideways_scroll(page)
        screenshot(page, f"agent-search-{lang}-{device}")
        person.click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith(f"/office/persons/{EMPLOYEE}")
        assert page.locator("table.family tbody tr").count() >= 2  # principal and dependents
        assert page.locator("table.family .badge.good").count() >= 1  # covered today
        accessible(page)
        no_sideways_scroll(page)
        screenshot(page, f"agent-person-{lang}-{device}")
        claim = page.locator("#claims-title ~ .table-wrap a[href^='/office/claims/']").first
        number = claim.inner_text()
        claim.click()
        page.wait_for_load_state("networkidle")
        assert number in page.locator("h1").inner_text()
        assert page.locator("ul.reasons li").count() >= 1  # each decision explained
        accessible(page)
        no_sideways_scroll(page)
        screenshot(page, f"agent-claim-{lang}-{device}")


def test_the_search_works_without_javascript(browser: Any, site: Server) -> None:
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "agent")
        page.goto("/office/persons")
        page.fill("#q", "benali youssef")
        page.click("form[role=search] button[type=submit]")
        page.wait_for_load_state("load")
        assert "q=benali+youssef" in page.url
        page.locator(f"#results a[href='/office/persons/{EMPLOYEE}']").click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"/office/persons/{EMPLOYEE}")
    finally:
        context.close()
