"""Figures, targets and the JSON files they are written to.

Each benchmark returns a Result: its figures, the sizes it ran at and the targets it is
held to. `write` stores one JSON file per benchmark (benchmarks/results/<name>-<stamp>.json)
with the machine, the database, the command line and a timestamp; `write_set` stores the
whole run (latest.json for a full run at full sizes).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Target:
    """A figure held to a limit: at most (`max`) or at least (`min`) `limit`."""

    figure: str
    limit: float
    kind: Literal["max", "min"] = "max"

    def met(self, figures: dict[str, Any]) -> bool | None:
        value = figures.get(self.figure)
        if not isinstance(value, int | float) or math.isnan(value):
            return None
        return value <= self.limit if self.kind == "max" else value >= self.limit

    def text(self) -> str:
        return f"{self.figure} {'<=' if self.kind == 'max' else '>='} {self.limit:g}"


@dataclass
class Result:
    name: str
    figures: dict[str, Any]
    sizes: dict[str, Any] = field(default_factory=dict)
    targets: Sequence[Target] = ()
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the benchmark, set-up included
    # the machine's 1, 5 and 15 minute load averages when it ended: a figure taken while
    # other work shared the cores says so
    load_average: list[float] = field(default_factory=list)

    @property
    def met(self) -> bool | None:
        verdicts = [t.met(self.figures) for t in self.targets]
        if not verdicts or any(v is None for v in verdicts):
            return None
        return all(verdicts)

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.name,
            "sizes": self.sizes,
            "figures": self.figures,
            "targets": [asdict(t) | {"met": t.met(self.figures)} for t in self.targets],
            "met": self.met,
            "notes": self.notes,
            "seconds": round(self.seconds, 1),
            "load_average": self.load_average,
        }


def percentiles(samples: Sequence[float], scale: float = 1000.0) -> dict[str, float]:
    """p50, p90, p95, p99 and max of samples (seconds), in milliseconds by default."""
    if not samples:
        return {k: math.nan for k in ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * scale, 2)

    return {
        "p50_ms": at(0.50),
        "p90_ms": at(0.90),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * scale, 2),
    }


def stamp(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def _dump(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str, allow_nan=False) + "\n")
    tmp.replace(path)
    return path


def _clean(value: Any) -> Any:
    """NaN and infinities as null: the files are strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write(result: Result, header: dict[str, Any], directory: Path = RESULTS) -> Path:
    data = _clean(header | result.as_json())
    return _dump(directory / f"{result.name}-{header['stamp']}.json", data)


def write_set(
    results: Sequence[Result], header: dict[str, Any], name: str, directory: Path = RESULTS
) -> Path:
    data = _clean(header | {"results": [r.as_json() for r in results]})
    return _dump(directory / name, data)
