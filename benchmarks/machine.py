"""What the figures were measured on: cores, memory, CPU, Python and library versions."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version
from typing import Any


def _meminfo_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def describe(database_url: str) -> dict[str, Any]:
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    return {
        "cores": os.cpu_count(),
        "usable_cores": _usable_cores(),
        "cpu": _cpu_model(),
        "memory_gib": _meminfo_gib(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": {name: version(name) for name in ("polars", "sqlalchemy", "psycopg")},
        "database": backend,
    }
