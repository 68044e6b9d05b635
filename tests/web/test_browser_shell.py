"""The shell every page shares, in a real browser: the home page says how to sign in as
each role, the language switch is remembered on the account, Arabic lays out right to left,
a phone gets no sideways scrolling, and axe-core finds no serious violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.served import Server
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("site"))) as server:
        yield server


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_home_page_says_how_to_sign_in_as_each_role(
    browser: Any, site: Server, lang: str, phone: bool
) -> None:
    with visit(browser, site, lang=lang, phone=phone) as page:
        page.goto("/")
        assert page.get_attribute("html", "lang") == lang
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        for username in ("admin", "agent", "controller", "analyst", "youssef", "pharmacie"):
            assert page.locator(f"td code bdi:text-is('{username}')").count() == 1
        # nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        accessible(page)
        screenshot(page, f"home-{lang}-{'phone' if phone else 'desktop'}")


def test_signing_in_leads_to_the_role_and_the_language_is_remembered(
    browser: Any, site: Server
) -> None:
    with visit(browser, site, lang="fr") as page:
        page.goto("/account")
        assert "/login?next=%2Faccount" in page.url  # sent to sign in, and back after
        sign_in(page, "agent", here=True)
        assert page.url.endswith("/account")
        page.click("form.languages button[value=ar]")
        page.wait_for_load_state("networkidle")
        assert page.get_attribute("html", "dir") == "rtl"
        accessible(page)
    with visit(browser, site, lang="fr") as page:  # another browser, same account
        sign_in(page, "agent")
        page.goto("/account")
        assert page.get_attribute("html", "lang") == "ar"  # remembered on the account
