"""Browser tests: Playwright driving Debian's chromium against the real served app.

``browser`` launches chromium once per test process; ``demo_site`` serves a demo database
(SQLite: the pages' SQL is the services', covered on both databases by the API tests) for
the module. ``visit(browser, site, lang=..., phone=...)`` opens a page context in a language
and a viewport; ``sign_in`` signs in through the sign-in form; ``accessible`` runs axe-core
(vendored) and fails on any serious or critical violation; ``screenshot`` saves a picture
under docs/screenshots/ when DAMAN_SCREENSHOTS is set (``make screenshots``).

Without chromium the tests skip with the reason, unless DAMAN_REQUIRE_BROWSER is set (CI
sets it, so a CI run can never pass by skipping them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.served import DEMO_PASSWORD, Server, demo_database, serving

CHROMIUM = os.environ.get("DAMAN_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    reason = f"no chromium at {CHROMIUM} (apt install chromium; CI installs it)"
    if os.environ.get("DAMAN_REQUIRE_BROWSER"):
        pytest.fail(reason + ", and DAMAN_REQUIRE_BROWSER is set")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@contextmanager
def demo_site(tmp: Path, **env: str) -> Iterator[Server]:
    with demo_database("sqlite", tmp) as database, serving(database, "site", **env) as server:
        yield server


@contextmanager
def visit(browser: Any, site: Server, *, lang: str = "fr", phone: bool = False) -> Iterator[Any]:
    """A fresh browser context (no cookies) in `lang`, on a phone or a desktop viewport."""
    context = browser.new_context(
        base_url=site.url,
        viewport=PHONE if phone else DESKTOP,
        locale={"fr": "fr-MA", "ar": "ar-MA", "en": "en-GB"}[lang],
        extra_http_headers={"Accept-Language": lang},
        bypass_csp=True,  # lets axe-core in; the app's CSP is checked by its own tests
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD, *, here: bool = False) -> None:
    """Sign in through the form: on /login, or (``here``) on the sign-in page the browser
    was just sent to, which then leads back where it was going."""
    if not here:
        page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, page.content()[:2000]


def accessible(page: Any) -> None:
    """No serious or critical axe-core violation on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}: {bad}"


def screenshot(page: Any, name: str) -> None:
    if os.environ.get("DAMAN_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
