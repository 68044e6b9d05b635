"""The administrator in a real browser, in French and in Arabic, on a desktop and a phone:
a new version of a tariff from a date, then the drug list imported with its row report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from daman.core.dates import today
from tests.reference.test_parsing import GOOD, HEADER
from tests.served import Server
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("admin"))) as server:
        yield server


@pytest.mark.parametrize(("lang", "phone", "days"), [("fr", False, 40), ("ar", True, 50)])
def test_an_administrator_adds_a_tariff_version_and_imports_the_drug_list(
    browser: Any, site: Server, tmp_path: Path, lang: str, phone: bool, days: int
) -> None:
    start = (today() + timedelta(days=days)).isoformat()
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "admin")
        page.goto(f"/office/admin?lang={lang}")
        accessible(page)
        page.goto("/office/admin/tariffs?key=C")
        accessible(page)
        page.fill("#value", "90.00" if lang == "fr" else "٩٠")
        page.fill("#valid_from", start)
        page.fill("#source", "convention nationale")
        page.click("form[action='/office/admin/tariffs'][method=post] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
        assert page.locator(f"td bdi:text-is('{start}')").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(page, f"admin-tariffs-{lang}-{'phone' if phone else 'desktop'}")
        csv = tmp_path / "liste.csv"
        csv.write_text(f"{HEADER}\n{GOOD}\n6118990000018,BAD,X,1,MG,C,1,abc,1,1,P,0.7\n")
        page.goto("/office/admin/drugs")
        page.fill("#valid_from", start)
        page.set_input_files("#file", str(csv))
        page.click("form[action='/office/admin/drugs'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator("#report-title").count() == 1, page.content()[:3000]
        assert page.locator("#rejected-caption").count() == 1
        accessible(page)
        screenshot(page, f"admin-drugs-{lang}-{'phone' if phone else 'desktop'}")
