from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.exemptions import service
from tests.exemptions.support import Clock, World, act_as, world


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The API as the fund's own code: every role rule passes, everything is in scope."""
    return act_as(client, Principal.system("test"))


@pytest.fixture
def w(session: Session) -> World:
    return world(session)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The exemption service's clock, set by the test."""
    c = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(service, "now", c)
    return c
