"""Requests that arrive together, done together: one transaction and one commit for a
group of them (group commit), each answered once the group has committed.

A request thread hands its job to `Group.submit` with the session of its request. On
PostgreSQL the jobs of one database wait in a line: when no group is running (or fewer
than `in_flight`), the first job in line takes up to `most` jobs waiting behind it and runs
them in a session of its own, on the request session's bind, committed before any of them
returns. Nothing waits on purpose: a job that arrives while the database is idle runs at
once, alone; jobs that arrive while a group runs wait for it and go together in the next.
The busier the server, the larger the groups, and the cost of a transaction, a commit and
of each fixed part of the work is shared.

A job's own error (a refusal) is its answer and does not touch the others: `run` returns
it in place of a result. If the group itself fails (an unexpected error, a constraint or
a busy database at commit), nothing of it was committed and each job is run again alone,
in its own transaction, so one bad job never fails the others and each gets the answer it
would have had alone.

On SQLite (one writer at a time) a job runs alone in the request's own session and
transaction, which the request commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

J = TypeVar("J")
R = TypeVar("R")

MOST = 64  # jobs in one group
IN_FLIGHT = 1  # groups running at once, per database and process


@dataclass
class _Ticket(Generic[J]):
    job: J
    taken: bool = False  # in a group (its leader runs it)
    done: bool = False
    result: Any = None
    error: BaseException | None = None

    def settle(self, outcome: Any) -> None:
        if isinstance(outcome, BaseException):
            self.error = outcome
        else:
            self.result = outcome
        self.done = True


@dataclass
class _Line:
    waiting: list[_Ticket[Any]] = field(default_factory=list)
    running: int = 0


class Group(Generic[J, R]):
    """``run(session, jobs)`` gives one result per job, in order: a value, or the exception
    that is that job's answer (raised to its caller). It only flushes: the group commits."""

    def __init__(
        self,
        run: Callable[[Session, Sequence[J]], Sequence[R | BaseException]],
        most: int = MOST,
        in_flight: int = IN_FLIGHT,
    ) -> None:
        self.run = run
        self.most = most
        self.in_flight = in_flight
        self._lines: dict[int, _Line] = {}
        self._cond = threading.Condition()
        self.groups = 0  # groups run (for tests and benchmarks)
        self.jobs = 0

    def submit(self, session: Session, job: J) -> R:
        """Do the job with those that arrive with it; its result once they have committed
        (or its own error)."""
        bind = session.get_bind()
        if bind.dialect.name != "postgresql":
            (outcome,) = self.run(session, [job])
            return _outcome(outcome)
        ticket: _Ticket[J] = _Ticket(job)
        key = id(bind)
        leader = False
        with self._cond:
            line = self._lines.setdefault(key, _Line())
            line.waiting.append(ticket)
            while not ticket.done and not ticket.taken:
                if line.running < self.in_flight and line.waiting[0] is ticket:
                    tickets, line.waiting[:] = line.waiting[: self.most], line.waiting[self.most :]
                    for taken in tickets:
                        taken.taken = True
                    line.running += 1
                    leader = True
                    break
                self._cond.wait()
            while not leader and not ticket.done:  # in a group another thread runs
                self._cond.wait()
        if leader:
            try:
                self._run(bind, tickets)
            finally:
                with self._cond:
                    line.running -= 1
                    if not line.running and not line.waiting:
                        self._lines.pop(key, None)
                    self._cond.notify_all()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result

    def _run(self, bind: Any, tickets: list[_Ticket[J]]) -> None:
        self.groups += 1
        self.jobs += len(tickets)
        try:
            with Session(
                bind=bind, join_transaction_mode="create_savepoint", expire_on_commit=False
            ) as session:
                outcomes = self.run(session, [t.job for t in tickets])
                session.commit()
        except Exception as exc:
            if len(tickets) == 1:
                tickets[0].settle(exc)
                return
            for ticket in tickets:  # alone, each in its own transaction
                self._run(bind, [ticket])
            return
        for ticket, outcome in zip(tickets, outcomes, strict=True):
            ticket.settle(outcome)


def _outcome(outcome: Any) -> Any:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
