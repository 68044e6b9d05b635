"""Schemathesis against the OpenAPI schema: generated requests to every operation (bounded
examples), as an unrestricted principal so every operation is reached past its role rule.
No response may be a server error, and every response must match the schema: a declared
status code, content type and body shape."""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks
from sqlalchemy.orm import Session

from daman.auth.access import Principal, current_principal
from tests.conftest import _app_on

# No server error, and the response as the schema says: a declared status code, content
# type, headers and body. (Authentication is the route matrix's job: tests/auth/.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def test_the_api_matches_its_schema_and_never_fails(session: Session) -> None:
    app: FastAPI = _app_on(session)
    app.dependency_overrides[current_principal] = lambda: Principal.system("user:schemathesis")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @EXAMPLES
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # reported together below
            failures[operation.label] = str(failure)[:1500]
    assert operations > 50
    assert failures == {}, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
