"""GET /api/hyperparameters: the training config as typed form fields, as the new-run and preset forms read them."""

from typing import Any

from fastapi.testclient import TestClient

from domain.config import TrainingConfig


def _specs(client: TestClient) -> dict[str, dict[str, Any]]:
    response = client.get("/api/hyperparameters")
    assert response.status_code == 200, response.text
    return {spec["name"]: spec for spec in response.json()}


class TestListHyperparameters:
    def test_every_config_field_is_listed_once_in_a_group(self, client: TestClient) -> None:
        response = client.get("/api/hyperparameters").json()
        assert sorted(spec["name"] for spec in response) == sorted(TrainingConfig.model_fields)
        assert all(spec["group"] for spec in response)

    def test_bounds_say_whether_they_are_exclusive(self, client: TestClient) -> None:
        specs = _specs(client)
        assert specs["lora_r"] | {"help": ""} == {
            "name": "lora_r",
            "type": "int",
            "item_type": None,
            "default": 16,
            "nullable": False,
            "minimum": 1,
            "minimum_exclusive": False,
            "maximum": 512,
            "maximum_exclusive": False,
            "choices": [],
            "group": "LoRA / quantisation",
            "help": "",
            "default_label": None,
        }
        lr = specs["learning_rate"]
        assert (lr["type"], lr["minimum"], lr["minimum_exclusive"], lr["maximum"], lr["maximum_exclusive"]) == (
            "float",
            0.0,
            True,
            1.0,
            False,
        )
        assert (specs["lora_dropout"]["maximum"], specs["lora_dropout"]["maximum_exclusive"]) == (1.0, True)

    def test_choices_defaults_and_help(self, client: TestClient) -> None:
        specs = _specs(client)
        assert specs["lr_scheduler_type"]["type"] == "choice"
        assert specs["lr_scheduler_type"]["choices"] == [
            "constant",
            "constant_with_warmup",
            "cosine",
            "cosine_with_restarts",
            "linear",
        ]
        assert specs["lr_scheduler_type"]["default"] == "cosine"
        assert specs["prompt_template"]["type"] == "choice"
        assert specs["prompt_template"]["nullable"] is True
        assert specs["completion_only_loss"]["default"] is True
        assert specs["lora_r"]["help"] == "LoRA rank. Higher: more capacity, more memory and time."
        # A default that is a rule: the form shows it instead of "none".
        assert (specs["eval_steps"]["default"], specs["eval_steps"]["nullable"]) == (None, True)
        assert specs["eval_steps"]["default_label"] == "auto (~20 per run)"
        assert specs["lora_r"]["default_label"] is None

    def test_lists_name_their_entries(self, client: TestClient) -> None:
        specs = _specs(client)
        assert (specs["layers_to_transform"]["type"], specs["layers_to_transform"]["item_type"]) == ("list", "int")
        assert specs["layers_to_transform"]["nullable"] is True
        assert specs["llm_int8_skip_modules"]["item_type"] == "string"
