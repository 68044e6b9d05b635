"""The benchmarks still run: each at tiny sizes, writing strict JSON with its figures,
targets, sizes, machine and command (timings are never asserted: benchmarks measure)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from benchmarks.__main__ import ORDER, main
from benchmarks.report import Result, Target, percentiles

PG_URL = os.environ.get("DAMAN_TEST_DATABASE_URL")
TINY = [
    "--quick",
    "--persons", "1500",
    "--claims", "120",
    "--engine-lines", "3000",
    "--lookups", "20",
    "--counter-requests", "10",
    "--rate", "5",
    "--seconds", "1",
    "--growth", "40,80",
    "--month-days", "2",
    "--chunk-size", "50",
    "--api-workers", "1",
    "--page-rounds", "1",
]  # fmt: skip


def load(path: Path) -> dict:
    return json.loads(path.read_text(), parse_constant=pytest.fail)  # NaN is not JSON


def test_percentiles_and_targets():
    figures = percentiles([0.001 * i for i in range(1, 101)])
    assert (figures["p50_ms"], figures["p99_ms"], figures["max_ms"]) == (50.0, 99.0, 100.0)
    assert math.isnan(percentiles([])["p99_ms"])
    result = Result("x", {"a": 3, "b": 10}, targets=[Target("a", 5), Target("b", 20, "min")])
    assert [t.met(result.figures) for t in result.targets] == [True, False]
    assert result.met is False
    assert Result("y", {"a": math.nan}, targets=[Target("a", 1)]).met is None


def test_engine_alone_writes_its_figures(tmp_path):
    assert main(["--only", "engine", *TINY, "--results", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("engine-*.json")
    data = load(path)
    assert data["benchmark"] == "engine"
    assert data["figures"]["lines_per_second"] > 0
    assert data["sizes"]["lines"] >= 3000
    assert data["machine"]["cores"] >= 1
    assert data["command"].startswith("python -m benchmarks --only engine")
    assert data["targets"][0]["figure"] == "lines_per_second"
    assert not list(tmp_path.glob("latest*.json"))  # not the whole set


@pytest.mark.postgres
def test_the_whole_set_runs_on_postgresql(tmp_path, monkeypatch):
    if not PG_URL:
        pytest.skip("PostgreSQL: set DAMAN_TEST_DATABASE_URL to run (CI does)")
    monkeypatch.setenv("DAMAN_BENCH_DATABASE_URL", PG_URL)
    assert main([*TINY, "--results", str(tmp_path)]) == 0
    latest = load(tmp_path / "latest-quick.json")
    assert [r["benchmark"] for r in latest["results"]] == list(ORDER)
    assert latest["database"]["backend"] == "postgresql"
    assert latest["population"]["persons"] == 1500
    by_name = {r["benchmark"]: r for r in latest["results"]}
    assert all("error" not in r["figures"] for r in by_name.values())
    assert by_name["batch_day"]["figures"]["valued"]["claims"] == 120
    assert by_name["batch_day"]["figures"]["floor_seconds"] > 0
    assert set(by_name["workers"]["figures"]["runs"]) == {"1", "2"}
    assert by_name["memory"]["figures"]["peak_rss_mib"] > 0
    assert by_name["realtime"]["figures"]["ok"] == 5
    assert by_name["realtime"]["figures"]["capacity"]["ok"] > 0
    assert by_name["floor"]["figures"]["throughput"] > 0
    assert by_name["floor"]["figures"]["errors"] == 0
    assert by_name["realtime"]["figures"]["floor_ratio"] > 0  # the same run's floor
    assert set(by_name["growth"]["figures"]["runs"]) == {"40", "80"}
    assert by_name["memory"]["sizes"]["claims"] == 80  # growth's largest batch
    assert by_name["eligibility"]["figures"]["http_errors"] == 0
    counter = by_name["counter"]  # prescriptions valued at a pharmacy's counter, over HTTP
    assert counter["sizes"]["requests"] == 10
    assert counter["figures"]["statuses"] == {"200": 10}
    assert counter["figures"]["errors"] == 0 and counter["figures"]["busy_errors"] == 0
    assert counter["figures"]["p99_ms"] > 0
    assert [t["figure"] for t in counter["targets"]] == ["p99_ms", "busy_p99_ms"]
    pages = by_name["pages"]["figures"]  # every role's menu and what it leads to, no error
    assert pages["pages"] > 40 and pages["errors"] == 0
    assert {page.split(" ")[0] for page in pages["by_page"]} >= {"agent", "youssef", "admin"}
    for name in ORDER:
        assert len(list(tmp_path.glob(f"{name}-*.json"))) == 1
