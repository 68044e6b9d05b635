"""Run a command and print, as the last line, JSON of its wall seconds, exit code and peak
resident memory: the kernel's ru_maxrss (the largest single process among the command and
the processes it waited for) and the peak of the sum over the command and every process
below it, sampled every SAMPLE seconds from /proc (a run of several workers holds their
memory at once).

    python -m benchmarks.rusage -- daman adjudicate --workers 2

Why a launcher: a child records as its own peak the resident size of the process it was
forked from, at the moment it execs. Forked straight from a benchmark holding a gigabyte,
every command would "peak" at a gigabyte. This launcher is small (standard library only),
so what it forks carries next to nothing of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from time import perf_counter

SAMPLE = 0.02  # seconds between two samples of the summed resident memory
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """A process and every process below it (Linux /proc; those gone meanwhile left out)."""
    found, todo = [], [pid]
    while todo:
        here = todo.pop()
        found.append(here)
        try:
            for task in Path(f"/proc/{here}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE // 1024
        except (OSError, IndexError, ValueError):
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) used so far by a process and those below it."""
    total = 0
    for one in tree(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / TICK


def main(argv: list[str]) -> int:
    command = argv[1:] if argv and argv[0] == "--" else argv
    started = perf_counter()
    child = subprocess.Popen(command)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE):
            peak[0] = max(peak[0], rss_kib(tree(child.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    report = {
        "seconds": perf_counter() - started,
        "returncode": child.returncode,
        "maxrss_kib": usage.ru_maxrss,  # Linux: KiB, the largest single process
        "summed_rss_kib": peak[0],  # the peak of the sum over all the run's processes
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
