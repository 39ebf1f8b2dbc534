"""The API against its own OpenAPI schema, with generated requests as a signed-in admin: no server error, and every
answer's status, content type and body as documented."""

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.accounts import Account
from tests.factories import create_dataset

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 8


def test_the_api_keeps_its_schema(client: TestClient, admin: Account) -> None:
    create_dataset(client)  # something for the generated ids to find, besides 404s
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app).exclude(
        # An event stream stays open until its run (or evaluation) ends; its 404s are covered by the access tests.
        operation_id=["streamRunEvents", "streamEvaluationEvents"]
    )
    failures: list[str] = []
    operations = 0
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def keeps_schema(case: schemathesis.Case) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(headers=admin.headers, checks=CHECKS)

        try:
            keeps_schema()
        except (Exception, BaseExceptionGroup) as failure:  # every operation's failure, not only the first
            failures.append(f"{operation.label}: {failure}")
    assert operations > 40
    assert calls >= operations * 3  # generated requests, not just one per operation
    assert not failures, "\n\n".join(failures)
