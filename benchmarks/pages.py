"""Benchmark: the pages' server time on the demo data (issue 14).

What `make run` serves: a fresh SQLite database migrated and loaded with the demo data
(`daman init`, `daman demo`, in a directory of its own), the app served by uvicorn on
loopback. Each demo account signs in through the real sign-in form, then the pages it can
reach are found as a person finds them: from its start page, following the links of the
menu and of the pages it leads to (two clicks deep, GET links of the site only; files,
sign-out, the language switch and the API's documentation left out). Every page found is
then asked for `rounds` times, one request at a time, and timed from the request sent to
the last byte read.

Figures: p50 and p95 per page (by role and path), the worst page's p95 and the p95 of all
requests together. Target: every page's p95 within 200 ms, the usual bound for a server's
answer to feel immediate.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from time import perf_counter
from urllib.parse import urljoin, urlsplit

import httpx

from benchmarks.report import Result, Target, percentiles
from benchmarks.server import Server
from daman.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

TARGET_P95_MS = 200.0
DEPTH = 2  # clicks from the home page
MOST_PAGES = 30  # per account: the menu and what it leads to, not every row of every list
SKIPPED = re.compile(
    r"^/$|^/(static|logout|language|api|fhir|hcx|docs|redoc)\b|\.(pdf|png|jpg|csv|xml|json)$"
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links(base: str, page: str, html: str) -> list[str]:
    """The site's own GET pages a page links to, as paths (query kept, fragment dropped)."""
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        url = urlsplit(urljoin(base + page, href))
        if f"{url.scheme}://{url.netloc}" != base:
            continue
        path = url.path + (f"?{url.query}" if url.query else "")
        if not SKIPPED.search(url.path) and path not in out:
            out.append(path)
    return out


def sign_in(client: httpx.Client, username: str) -> None:
    """The real form: its CSRF cookie and field, then the password."""
    form = client.get("/login")
    field = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if field is None:
        raise RuntimeError("the sign-in page has no csrf_token field")
    answer = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": field.group(1)},
    )
    if answer.status_code != 303:
        raise RuntimeError(f"{username} could not sign in: {answer.status_code}")


def crawl(client: httpx.Client, base: str) -> list[str]:
    """The pages an account reaches within DEPTH clicks of where signing in lands it (the
    home page sends each role on to its start page)."""
    start = client.get("/", follow_redirects=True).url
    first = start.path + (f"?{start.query.decode()}" if start.query else "")
    found, frontier = [first], [first]
    for _ in range(DEPTH):
        following = []
        for page in frontier:
            answer = client.get(page)
            if answer.status_code != 200 or "text/html" not in answer.headers["content-type"]:
                continue
            for path in links(base, page, answer.text):
                if path not in found and len(found) < MOST_PAGES:
                    found.append(path)
                    following.append(path)
        frontier = following
    return found


def _demo_database(directory: Path) -> str:
    url = f"sqlite:///{directory / 'daman.db'}"
    env = os.environ | {"DAMAN_DATABASE_URL": url}
    for command in ("init", "demo"):
        subprocess.run(
            [sys.executable, "-c", "from daman.cli import main; main()", command],
            env=env,
            cwd=directory,
            check=True,
            capture_output=True,
        )
    return url


def run(rounds: int) -> Result:
    started = perf_counter()
    with tempfile.TemporaryDirectory(prefix="daman-pages-") as tmp:
        directory = Path(tmp)
        url = _demo_database(directory)
        load_seconds = perf_counter() - started
        timings: dict[str, list[float]] = {}
        errors: list[str] = []
        here = os.getcwd()
        os.chdir(directory)  # the served app keeps its files (documents, SMS) beside the demo
        try:
            with Server(url, instances=1) as api:
                for username, _role, _name in DEMO_ACCOUNTS:
                    with httpx.Client(base_url=api.base, timeout=30.0) as client:
                        sign_in(client, username)
                        for path in crawl(client, api.base):
                            samples = timings.setdefault(f"{username} {path}", [])
                            for _ in range(rounds):
                                sent = perf_counter()
                                answer = client.get(path)
                                samples.append(perf_counter() - sent)
                                if answer.status_code >= 400:
                                    errors.append(f"{username} {path}: {answer.status_code}")
                                    break
                server_errors = api.errors()
        finally:
            os.chdir(here)
    by_page = {page: percentiles(samples) for page, samples in timings.items()}
    worst = max(by_page, key=lambda page: by_page[page]["p95_ms"])
    every = [s for samples in timings.values() for s in samples]
    figures = {
        "pages": len(by_page),
        "requests": len(every),
        "p95_ms": percentiles(every)["p95_ms"],
        "worst_p95_ms": by_page[worst]["p95_ms"],
        "worst_page": worst,
        "errors": len(errors) + server_errors,
        "by_page": by_page,
        "demo_load_seconds": round(load_seconds, 1),
    }
    notes = [
        "SQLite, as `make run` serves it; each demo account's pages found from its home page",
        *errors[:10],
    ]
    return Result(
        "pages",
        figures,
        sizes={"rounds": rounds, "accounts": len(DEMO_ACCOUNTS), "depth": DEPTH},
        targets=[Target("worst_p95_ms", TARGET_P95_MS), Target("errors", 0)],
        notes=notes,
        seconds=perf_counter() - started,
    )
