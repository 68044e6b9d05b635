"""An employer's month in a real browser, in French and in Arabic, on a phone and a
desktop: the demo employer (``atlas``, Atlas Textiles SARL) uploads the month's
declaration with one bad row and sees it reported by line and field, then its call;
the fund's agent imports the bank's camt.054; the employer sees the call paid, its
balance and the receipt, and downloads its statement; the employee sees what was
declared for him; an analyst sees collected against due with no payer named. axe-core
on every page."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from daman.contributions.collection import builders as b
from daman.core.dates import add_months, month_start, today
from tests.served import Server
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit

EMPLOYEE = "DM0000000194"  # Youssef Benali, Atlas Textiles' employee (demo account youssef)
WAGE = "6000.00"
CALLED = "382.20 MAD"  # 6,000 MAD x (2.26 % + 2.26 % + 1.85 %)
PAID = {"fr": "Payé", "ar": "مؤدى"}
UNPAID = {"fr": "Impayé", "ar": "غير مؤدى"}
GROSS_WAGE = {"fr": "Salaire brut", "ar": "الأجر الإجمالي"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("contributions"))) as server:
        yield server


def fits(page: Any) -> None:
    """Nothing wider than the screen (wide tables scroll inside their frame)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def row_cells(page: Any, selector: str) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(f"{selector} td").all_inner_texts()]


@pytest.mark.parametrize(
    ("lang", "phone", "back"),
    [("fr", False, 1), ("ar", True, 2), ("fr", True, 3), ("ar", False, 4)],
    ids=["fr-desktop", "ar-phone", "fr-phone", "ar-desktop"],
)
def test_an_employers_month_from_declaration_to_receipt(
    browser: Any, site: Server, tmp_path: Path, lang: str, phone: bool, back: int
) -> None:
    device = "phone" if phone else "desktop"
    month = f"{add_months(month_start(today()), -back):%Y-%m}"
    declaration = tmp_path / f"declaration-{month}.csv"
    declaration.write_bytes(b.declaration([(EMPLOYEE, 26, WAGE), ("DM0000000291", 26, "6000.5x")]))

    # the employer declares the month: one row loaded, one refused with its line and field
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "atlas")
        assert page.url.endswith("/employer/account")  # the employer's day starts here
        page.goto(f"/employer/declaration?lang={lang}")
        accessible(page)
        page.fill("#month", month)
        page.set_input_files("#file", str(declaration))
        page.click("form[action='/employer/declaration'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
        assert page.inner_text("#rows-read") == "2" and page.inner_text("#rows-loaded") == "1"
        assert page.inner_text("#rows-rejected") == "1"
        assert row_cells(page, "#rejected tbody tr")[:2] == ["3", GROSS_WAGE[lang]]
        call = page.locator("dl.call-made dd bdi").first.inner_text()
        fits(page)
        accessible(page)
        screenshot(page, f"contributions-declaration-{lang}-{device}")

        page.goto("/employer/account")
        cells = row_cells(page, f"#calls tr[data-call='{call}']")
        assert cells[1] == f"{month} CNSS_SAL" and cells[8] == CALLED, cells
        assert cells[10].startswith(UNPAID[lang]) and cells[11] == CALLED
        fits(page)
        accessible(page)

    # the bank credits the fund; the agent imports its notification
    notice = tmp_path / "camt054.xml"
    notice.write_bytes(
        b.camt054_credits(
            [(f"VIR-{month}", 38_220, f"AMO {call} ATLAS TEXTILES", today())],
            message=f"NOTICE-{month}",
        )
    )
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "agent")
        page.goto(f"/office/contributions?lang={lang}")
        accessible(page)
        page.set_input_files("#file", str(notice))
        page.click("form[action='/office/contributions/receipts'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
        assert page.inner_text("#matched") == "1" and page.inner_text("#calls-paid") == "1"
        fits(page)
        accessible(page)
        screenshot(page, f"contributions-agent-{lang}-{device}")
        page.fill("#q", "10000001")  # the employer's CNSS number finds its account
        page.click("form[action='/office/contributions'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/office/contributions/accounts/E10000001")
        cells = row_cells(page, f"#calls tr[data-call='{call}']")
        assert cells[10].startswith(PAID[lang]), cells
        assert page.locator(f"#call option[value='{call}']").count() == 1  # adjust or waive
        fits(page)
        accessible(page)

    # the employer sees the call paid, the balance, the receipt; downloads its statement
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "atlas")
        page.goto(f"/employer/account?lang={lang}")
        cells = row_cells(page, f"#calls tr[data-call='{call}']")
        assert cells[10].startswith(PAID[lang]) and cells[11] == "0.00 MAD", cells
        assert page.inner_text("#balance").startswith("0.00 MAD")
        assert f"VIR-{month}" in page.inner_text("#receipts")
        fits(page)
        accessible(page)
        screenshot(page, f"contributions-employer-{lang}-{device}")
        action = page.get_attribute("#statement-title + form", "action")
        start = page.input_value("#start")
        pdf = page.request.get(f"{action}?start={month}-01&end={today()}")
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
        assert call in text and f"VIR-{month}" in text
        assert start == f"{today():%Y}-01-01"

    # the employee sees what was declared for him, and that it is paid
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "youssef")
        page.goto(f"/me/contributions?lang={lang}")
        declared = page.locator("li.card", has=page.locator(f"h3 bdi:text-is('{month}')"))
        assert declared.count() == 1
        assert PAID[lang] in declared.inner_text() and "Atlas Textiles" in declared.inner_text()
        fits(page)
        accessible(page)
        screenshot(page, f"contributions-member-{lang}-{device}")

    # the analyst: collected against due for the regime and month, nobody named
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "analyst")
        assert page.url.endswith("/office/collected")
        page.goto(f"/office/collected?lang={lang}")
        cells = row_cells(page, f"#collected tr[data-regime='CNSS_SAL'][data-month='{month}']")
        assert cells[2:4] == ["1", "1"] and cells[6:9] == [CALLED, CALLED, "100.00 %"], cells
        assert "Atlas" not in page.content() and call not in page.content()
        fits(page)
        accessible(page)
        screenshot(page, f"contributions-analyst-{lang}-{device}")
