"""What the figures were measured on: cores, memory, Python, database."""

from __future__ import annotations

import os
import platform
from typing import Any


def describe(database_url: str) -> dict[str, Any]:
    mem_kb = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kb = int(line.split()[1])
    except OSError:
        pass
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "database": backend,
    }
