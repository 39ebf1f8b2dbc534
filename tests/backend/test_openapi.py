import json

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
