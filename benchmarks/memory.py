"""Benchmark 7: days of claims valued in chunks by `daman adjudicate`, in a child process
whose peak resident memory is read from the kernel (getrusage of that child, via wait4).

Memory is held per chunk, not per batch: the peak does not depend on the number of days.
Run with the whole set, the figure is the peak of growth's largest batch (1.1M claims, ten
national days, valued the same way), so that the set stays within its time; the 30-day
month (3.3M claims) is `python -m benchmarks --only memory --month-days 30`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from time import perf_counter

from benchmarks.database import BenchDatabase
from benchmarks.report import Result, Target

TARGET_PEAK_GIB = 2.0
DAYS = 30
TIMEOUT = 3_600.0  # seconds: the run is bounded


def adjudicate_in_child(url: str, chunk_size: int, workers: int = 0) -> tuple[float, int, str]:
    """Run `daman adjudicate --chunk-size N [--workers W]` as a child process: its wall
    seconds, the peak resident memory in KiB of it and of the worker processes it waited
    for (the kernel keeps the largest), and the last line it printed."""
    env = os.environ | {"DAMAN_DATABASE_URL": url, "COLUMNS": "200"}
    command = [
        sys.executable,
        "-c",
        "from daman.cli import main; main()",
        "adjudicate",
        "--chunk-size",
        str(chunk_size),
        *(["--workers", str(workers)] if workers else []),
    ]
    with tempfile.TemporaryFile() as log:
        started = perf_counter()
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if perf_counter() - started > TIMEOUT:
                child.kill()
                os.wait4(child.pid, 0)
                child.returncode = -9
                raise TimeoutError(f"daman adjudicate ran over {TIMEOUT:.0f} s")
            time.sleep(0.2)
        seconds = perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        log.seek(0)
        output = log.read().decode(errors="replace").strip()
    if child.returncode:
        raise RuntimeError(f"daman adjudicate failed ({child.returncode}): {output[-2000:]}")
    last = output.splitlines()[-1] if output else ""
    return seconds, int(usage.ru_maxrss), last  # Linux: ru_maxrss in KiB


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
            "seconds": largest["seconds"],
            "claims_per_second": round(largest["claims"] / largest["seconds"]),
            "summary": largest["summary"],
        },
        targets=[Target("peak_rss_gib", TARGET_PEAK_GIB)],
        notes=["peak of growth's largest batch; a 30-day month: --only memory --month-days 30"],
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
    seconds, peak_kib, summary = adjudicate_in_child(db.url, chunk_size, workers)
    peak_gib = peak_kib / 1024 / 1024
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
            "peak_rss_gib": round(peak_gib, 3),
            "peak_rss_mib": round(peak_kib / 1024),
            "seconds": round(seconds, 1),
            "claims_per_second": round(made.claims / seconds),
            "summary": summary,
        },
        targets=[Target("peak_rss_gib", TARGET_PEAK_GIB)],
        seconds=perf_counter() - started,
    )
