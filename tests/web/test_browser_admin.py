"""The administrator in a real browser, in French and in Arabic, on a desktop and a phone:
a new version of a tariff from a date, then the drug list imported with its row report; a
new coverage rate version (a date before the one in force refused first) and a new ceiling,
then every other page of versioned reference data checked with axe-core."""

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


@pytest.mark.parametrize(("lang", "phone", "days"), [("fr", False, 60), ("ar", True, 70)])
def test_an_administrator_adds_a_coverage_rate_and_a_ceiling_from_a_date(
    browser: Any, site: Server, lang: str, phone: bool, days: int
) -> None:
    start = (today() + timedelta(days=days)).isoformat()
    kind = "phone" if phone else "desktop"
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "admin")
        page.goto(f"/office/admin?lang={lang}")
        page.click("a[href='/office/admin/rates']")
        page.select_option("#pick-regime", "CNSS_SAL")
        page.select_option("#pick-category", "lab")
        page.click("form[action='/office/admin/rates'][method=get] button[type=submit]")
        page.wait_for_load_state("networkidle")
        accessible(page)
        post = "form[action='/office/admin/rates'][method=post]"
        page.select_option("#regime_code", "CNSS_SAL")
        page.select_option("#category", "lab")
        page.fill("#rate", "85" if lang == "fr" else "٨٥")
        page.fill("#valid_from", "2000-01-01")  # before the version in force: refused
        page.click(f"{post} button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".error-summary a[href='#valid_from']").count() == 1
        accessible(page)
        page.fill("#valid_from", start)
        page.fill("#source", "avenant tarifaire")
        page.click(f"{post} button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
        new = page.locator("tbody tr", has=page.locator(f"td bdi:text-is('{start}')"))
        assert new.count() == 1 and "85 %" in new.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(page, f"admin-rates-{lang}-{kind}")
        page.goto("/office/admin/ceilings")
        page.select_option("#category", "optical")
        page.select_option("#regime_code", "TNS")
        page.fill("#max_base", "1200" if lang == "fr" else "١٢٠٠")
        page.fill("#period_days", "730" if lang == "fr" else "٧٣٠")
        page.fill("#valid_from", start)
        page.click("form[action='/office/admin/ceilings'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
        row = page.locator("tbody tr", has=page.locator(f"td bdi:text-is('{start}')"))
        assert row.count() == 1 and "1200.00 MAD" in row.inner_text()
        accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(page, f"admin-ceilings-{lang}-{kind}")
        for other in ("complementary?mutual=MGPTT", "policy", "ald", "agencies"):
            page.goto(f"/office/admin/{other}")
            assert page.locator("h1").count() == 1
            accessible(page)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
