"""One browser per test process for every browser test (a second Playwright instance in
the same process would refuse to start): the ``browser`` fixture, defined once here."""

from tests.web.browser import browser

__all__ = ["browser"]
