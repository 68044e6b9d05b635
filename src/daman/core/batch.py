"""Batch jobs in chunks: one transaction per chunk, so a job can be killed and run again.

    with batch_engine(url) as engine:
        run_in_chunks(engine, one_chunk, after_commit=progress)

``one_chunk(session)`` does one chunk's work in its own transaction and returns how many
items it handled; the job ends at the first chunk with nothing to do. ``after_commit``
hears each count once its chunk is committed (progress bars never run ahead of the data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from daman.core.db import make_engine
from daman.core.errors import ValidationFailed


def check_chunk_size(chunk_size: int) -> None:
    if chunk_size < 1:
        raise ValidationFailed.one("chunk_size", "must be at least 1")


@contextmanager
def batch_engine(engine_or_url: Engine | str) -> Iterator[Engine]:
    """The engine given, or one made for the job from a URL and disposed of after it."""
    if isinstance(engine_or_url, Engine):
        yield engine_or_url
        return
    engine = make_engine(engine_or_url)
    try:
        yield engine
    finally:
        engine.dispose()


def run_in_chunks(
    engine: Engine,
    one_chunk: Callable[[Session], int],
    after_commit: Callable[[int], None] | None = None,
) -> None:
    while True:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            handled = one_chunk(session)
        if not handled:
            return
        if after_commit is not None:
            after_commit(handled)
