"""The controller clears the review queue in a real browser, in French and in Arabic, on a
desktop and on a phone: the queue, a line beside its documents, a decision, the next line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.served import Server
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("review"))) as server:
        yield server


@pytest.mark.parametrize(
    ("lang", "phone", "action"),
    [
        ("fr", False, "accept"),
        ("ar", True, "reject"),
        ("ar", False, "reduce"),
        ("fr", True, "accept"),
    ],
)
def test_a_controller_decides_a_line_and_moves_to_the_next(
    browser: Any, site: Server, lang: str, phone: bool, action: str
) -> None:
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "controller")
        page.goto(f"/office/review?lang={lang}")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        rows = page.locator("table tbody tr")
        assert rows.count() >= 1, "the demo leaves lines waiting for review"
        accessible(page)
        screenshot(page, f"review-queue-{lang}-{'phone' if phone else 'desktop'}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        first = rows.first.locator("a").first
        number = first.inner_text()
        first.click()
        page.wait_for_load_state("networkidle")
        accessible(page)
        page.check(f"input[name=action][value={action}]")
        if action == "reduce":
            page.fill("#amount", "0.01")
        page.select_option("#reason", "document_checked" if action == "accept" else "above_usual")
        page.fill("#note", "contrôle de démonstration")
        screenshot(page, f"review-item-{lang}-{'phone' if phone else 'desktop'}")
        page.click("form[action^='/office/review/'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/office/review" in page.url
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
        page.goto("/office/review")
        assert number not in page.locator("main").inner_text()  # decided: out of the queue
