from pathlib import Path

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def model(client: TestClient, tiny_model: Path) -> str:
    """The tiny test model registered as a base model; its name for the API."""
    response = client.post("/api/models", json={"name_or_path": str(tiny_model)})
    assert response.status_code == 201, response.text
    name: str = response.json()["name"]
    return name
