from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from tests.preauth.support import Clock, World, act_as, frozen_clock, world


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The API as the fund's own code: every role rule passes, everything is in scope."""
    return act_as(client, Principal.system("test"))


@pytest.fixture
def w(session: Session) -> World:
    return world(session)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """The service's clock, set by the test."""
    yield from frozen_clock(monkeypatch)
