"""Sign-in throttling per client address, on top of the per-account lockout.

The lockout (5 wrong passwords lock an account for 15 minutes) stops guessing one account's
password; this stops one address from trying many accounts: at most ``LIMIT`` attempts in
``WINDOW`` seconds, counted in this process (each server process counts on its own, so a
fund with N processes allows N times as many; a shared counter belongs in front of them,
in the reverse proxy). The address is the connecting peer's; X-Forwarded-For names the
client only when the peer is one of DAMAN_TRUSTED_PROXIES (`daman serve` configures
uvicorn so), else a client could pick a new address for every attempt. A refused attempt
answers 429 with Retry-After.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

LIMIT = 20
WINDOW = 300.0


class Throttle:
    def __init__(self, limit: int = LIMIT, window: float = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def attempt(self, client: str, at: float | None = None) -> float | None:
        """Count one attempt; None if allowed, else the seconds until the next is."""
        at = time.monotonic() if at is None else at
        with self._lock:
            seen = self._seen[client]
            while seen and seen[0] <= at - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return seen[0] + self.window - at
            seen.append(at)
            if len(self._seen) > 100_000:  # forget idle addresses
                for key in [k for k, v in self._seen.items() if not v]:
                    del self._seen[key]
            return None
