"""The worker of the exchange (`daman hcx worker`): processes accepted cycles and delivers
their answers, each step in a transaction of its own, the cycle locked (FOR UPDATE SKIP
LOCKED on PostgreSQL) so that several workers never take the same one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.core.dates import now
from daman.core.db import unit_of_work
from daman.hcx import service
from daman.hcx.models import CycleStatus, HcxCycle

log = logging.getLogger("daman.hcx")


def http_post(url: str, body: dict[str, Any]) -> int:
    """Post a callback; the partner's status code (a transport error raises OSError)."""
    try:
        return httpx.post(url, json=body, timeout=10).status_code
    except httpx.TransportError as exc:
        raise OSError(str(exc)) from exc


def _pick(session: Session, status: CycleStatus, due: bool) -> HcxCycle | None:
    stmt = select(HcxCycle).where(HcxCycle.status == status).order_by(HcxCycle.id).limit(1)
    if due:
        stmt = stmt.where(HcxCycle.next_attempt_at <= now())
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def step(post: service.Post, backoff: service.Backoff) -> int:
    """Process one accepted cycle and make one delivery attempt; how many things it did."""
    done = 0
    with unit_of_work() as session:
        row = _pick(session, CycleStatus.ACCEPTED, due=False)
        if row is not None:
            service.process(session, row)
            done += 1
    with unit_of_work() as session:
        row = _pick(session, CycleStatus.ANSWERED, due=True)
        if row is not None:
            service.deliver(session, row, post, backoff)
            done += 1
    return done


def pending() -> tuple[int, float | None]:
    """Cycles not yet delivered, and the seconds until the next delivery is due."""
    with unit_of_work() as session:
        rows = session.scalars(
            select(HcxCycle).where(HcxCycle.status != CycleStatus.DELIVERED)
        ).all()
        due = [r.next_attempt_at for r in rows if r.next_attempt_at is not None]
        wait = None
        if due:
            first = min(due)
            first = first if first.tzinfo else first.replace(tzinfo=now().tzinfo)
            wait = max(0.0, (first - now()).total_seconds())
        return len(rows), wait


def run(
    *,
    post: service.Post = http_post,
    backoff: service.Backoff | None = None,
    until_idle: bool = False,
    interval: float = 1.0,
    deadline_seconds: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Work until stopped (or, with ``until_idle``, until every cycle is delivered or the
    deadline passes); how many steps were done."""
    backoff = backoff or service.Backoff()
    started = time.monotonic()
    steps = 0
    while True:
        try:
            did = step(post, backoff)
        except Exception:  # one bad cycle must not stop the others: logged, retried
            log.exception("hcx worker step failed")
            did = 0
        steps += did
        if did:
            continue
        left, wait = pending()
        if until_idle and left == 0:
            return steps
        if deadline_seconds is not None and time.monotonic() - started > deadline_seconds:
            return steps
        sleep(min(interval, wait) if wait is not None else interval)
