"""Benchmark 7: days of claims valued in chunks by `daman adjudicate`, in a child process
whose resident memory, summed over it and its workers, is sampled from /proc by the
launcher benchmarks.rusage (which also reads the kernel's peak of the largest one).

Memory is held per chunk, not per batch: the peak does not depend on the number of days.
Run with the whole set, the figure is the peak of growth's largest batch (1.1M claims, ten
national days, valued the same way), so that the set stays within its time; the 30-day
month (3.3M claims) is `python -m benchmarks --only memory --month-days 30`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from time import perf_counter

from benchmarks.database import BenchDatabase
from benchmarks.report import Result, Target

TARGET_PEAK_GIB = 2.0
DAYS = 30
TIMEOUT = 3_600.0  # seconds: the run is bounded
ROOT = Path(__file__).resolve().parents[1]  # where `benchmarks` is importable from


@dataclass(frozen=True)
class Child:
    """What a run of `daman adjudicate` in a child process took."""

    seconds: float
    summed_kib: int  # peak of the resident memory summed over all its processes
    largest_kib: int  # peak of the largest single process (the kernel's ru_maxrss)
    summary: str


def adjudicate_in_child(url: str, chunk_size: int, workers: int = 0) -> Child:
    """Run `daman adjudicate --chunk-size N [--workers W]` in a child process, through the
    small launcher benchmarks.rusage: its wall seconds, the peak resident memory summed
    over it and its worker processes, the peak of the largest one, its summary line."""
    env = os.environ | {"DAMAN_DATABASE_URL": url, "COLUMNS": "200"}
    command = [
        sys.executable,
        "-m",
        "benchmarks.rusage",
        "--",
        sys.executable,
        "-c",
        "from daman.cli import main; main()",
        "adjudicate",
        "--chunk-size",
        str(chunk_size),
        *(["--workers", str(workers)] if workers else []),
    ]
    with tempfile.TemporaryFile() as log:
        launcher = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            launcher.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)  # the launcher's own session: ours only
            launcher.wait()
            raise TimeoutError(f"daman adjudicate ran over {TIMEOUT:.0f} s") from None
        log.seek(0)
        lines = log.read().decode(errors="replace").strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    if launcher.returncode or report.get("returncode") != 0:
        raise RuntimeError(f"daman adjudicate failed: {' | '.join(lines[-20:])}")
    summary = next((line for line in reversed(lines[:-1]) if "valued in" in line), "")
    largest = int(report["maxrss_kib"])
    return Child(
        float(report["seconds"]), max(int(report["summed_rss_kib"]), largest), largest, summary
    )


def from_growth(growth: Result) -> Result:
    """The memory figures of growth's largest batch (no second batch of that size)."""
    largest = list(growth.figures["runs"].values())[-1]
    peak_gib = largest["peak_rss_mib"] / 1024
    return Result(
        name="memory",
        sizes={
            "claims": largest["claims"],
            "days": largest["days"],
            "chunk_size": growth.sizes["chunk_size"],
            "workers": growth.sizes["workers"],
            "from": "growth's largest batch",
        },
        figures={
            "peak_rss_gib": round(peak_gib, 3),
            "peak_rss_mib": largest["peak_rss_mib"],
            "largest_process_mib": largest["largest_process_mib"],
            "seconds": largest["seconds"],
            "claims_per_second": round(largest["claims"] / largest["seconds"]),
            "summary": largest["summary"],
        },
        targets=[Target("peak_rss_gib", TARGET_PEAK_GIB)],
        notes=[
            "peak of the resident memory summed over the run's processes (the command and "
            "its workers), growth's largest batch; a 30-day month: --only memory --month-days 30"
        ],
    )


def run(
    db: BenchDatabase,
    *,
    per_day: int,
    persons: int,
    seed: int,
    until: date,
    chunk_size: int,
    days: int = DAYS,
    workers: int = 0,
) -> Result:
    started = perf_counter()
    made = db.add_claims(per_day, seed + 300, until, days)
    child = adjudicate_in_child(db.url, chunk_size, workers)
    return Result(
        name="memory",
        sizes={
            "persons": persons,
            "claims": made.claims,
            "days": days,
            "first_day": (until - timedelta(days=days - 1)).isoformat(),
            "chunk_size": chunk_size,
            "workers": workers or "one process (no --workers)",
        },
        figures={
            "peak_rss_gib": round(child.summed_kib / 1024 / 1024, 3),
            "peak_rss_mib": round(child.summed_kib / 1024),
            "largest_process_mib": round(child.largest_kib / 1024),
            "seconds": round(child.seconds, 1),
            "claims_per_second": round(made.claims / child.seconds),
            "summary": child.summary,
        },
        targets=[Target("peak_rss_gib", TARGET_PEAK_GIB)],
        notes=["peak of the resident memory summed over the run's processes"],
        seconds=perf_counter() - started,
    )
