"""Run a script in a child process and kill it at a known point of its work."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest


def kill_when_flagged(
    script: str,
    args: list[str],
    flag: Path,
    *,
    env: dict[str, str] | None = None,
    guard_seconds: float = 600,
) -> None:
    """Start `python -c script *args`, wait until it writes `flag` (the point where it must
    die, e.g. inside its third chunk), then kill it. The guard only stops a hung test; it is
    not a timing assertion."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + guard_seconds
        while not flag.exists():
            if proc.poll() is not None:
                pytest.fail(
                    f"the process ended before it was killed: {proc.stderr.read().decode()}"
                )
            assert time.monotonic() < deadline, f"the process never wrote {flag.name}"
            time.sleep(0.02)
        proc.kill()
    finally:
        proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
