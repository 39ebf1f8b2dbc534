import json
from typing import Any

from backend.main import create_app
from tests.conftest import REPO


def test_frontend_client_is_generated_from_the_current_schema() -> None:
    """The committed schema (source of frontend/src/client) must match the API; `make client` regenerates both."""
    committed = json.loads((REPO / "frontend" / "openapi.json").read_text())
    assert committed == create_app().openapi()


def test_every_operation_has_a_clean_id() -> None:
    operations = [op for path in create_app().openapi()["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all(op_id.isalnum() for op_id in ids)


def test_run_events_are_a_typed_union_in_the_schema() -> None:
    """The SSE message of GET /api/runs/{id}/events is one schema the client is typed from: a union on `type`."""
    schema = create_app().openapi()
    response = schema["paths"]["/api/runs/{run_id}/events"]["get"]["responses"]["200"]
    assert response["content"]["text/event-stream"]["schema"] == {"$ref": "#/components/schemas/RunEvent"}
    components = schema["components"]["schemas"]
    run_event = components["RunEvent"]
    assert run_event["discriminator"]["propertyName"] == "type"
    assert set(run_event["discriminator"]["mapping"]) == {"metric", "log_line", "status", "reconnect"}
    payloads = {
        name: sorted(components[components[name]["properties"]["payload"]["$ref"].split("/")[-1]]["properties"])
        for name in ("MetricEvent", "LogLineEvent", "StatusEvent")
    }
    assert payloads == {
        "MetricEvent": ["epoch", "name", "non_finite", "time", "value"],
        "LogLineEvent": ["kind", "message", "time"],
        "StatusEvent": [
            "base_eval_loss",
            "error",
            "final_eval_loss",
            "status",
            "status_message",
            "unquantised_base_eval_loss",
        ],
    }
    for name in ("MetricEvent", "LogLineEvent", "StatusEvent", "ReconnectEvent"):
        assert sorted(components[name]["required"]) == ["id", "payload", "run_id", "step", "type"]


def test_every_operation_documents_422_as_the_one_error_body() -> None:
    """Request validation answers an ErrorBody like every other error, and the schema says so everywhere."""
    schema = create_app().openapi()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    for operation in operations:
        content = operation["responses"]["422"]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, operation["operationId"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["ErrorBody"]["properties"]["detail"]["type"] == "string"


def test_query_bounds_are_declared() -> None:
    """What the runs list, run comparison and ranking refuse is stated in the schema, so a client never sends it."""
    paths = create_app().openapi()["paths"]

    def schema_of(path: str, name: str) -> dict[str, Any]:
        parameters = paths[path]["get"]["parameters"]
        found: dict[str, Any] = next(p["schema"] for p in parameters if p["name"] == name)
        return found

    assert schema_of("/api/runs/compare", "ids")["pattern"] == r"^\d+(,\d+){1,5}$"
    assert schema_of("/api/comparisons/ranking", "evaluation_ids")["pattern"] == r"^\d+(,\d+){2,19}$"
    sort = schema_of("/api/runs", "sort")
    assert {"created_at", "-created_at", "best_val_loss", "-duration"} <= set(sort["enum"])
    status = schema_of("/api/runs", "status")
    assert (status["maxItems"], status["items"]["maxLength"]) == (5, 41)
    assert (schema_of("/api/runs", "limit")["minimum"], schema_of("/api/runs", "limit")["maximum"]) == (1, 200)
