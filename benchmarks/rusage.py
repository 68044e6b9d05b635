"""Run a command and print, as the last line, JSON of its wall seconds, exit code and peak
resident memory (the kernel's ru_maxrss of the command and of the processes it waited for).

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
from time import perf_counter


def main(argv: list[str]) -> int:
    command = argv[1:] if argv and argv[0] == "--" else argv
    started = perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    report = {
        "seconds": perf_counter() - started,
        "returncode": child.returncode,
        "maxrss_kib": usage.ru_maxrss,  # Linux: KiB
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
