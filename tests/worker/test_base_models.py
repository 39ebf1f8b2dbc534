"""Converting the bundled GGUF model once and resolving base model names."""

import json
import shutil
import time
from pathlib import Path

from domain.catalog import BUNDLED_MODEL_NAME, model_fingerprint
from worker.training.base_models import materialize_bundled_model
from worker.training.cli import locate_base_model


def test_materialize_is_idempotent(models_dir: Path) -> None:
    first = materialize_bundled_model(models_dir)  # ~20 s: dequantise the GGUF and write safetensors
    assert first == models_dir / BUNDLED_MODEL_NAME
    assert (first / "config.json").is_file()
    assert (first / "tokenizer.json").is_file()
    assert "quantization_config" not in (first / "config.json").read_text()
    weights = first / "model.safetensors"
    written = weights.stat().st_mtime_ns
    start = time.monotonic()
    assert materialize_bundled_model(models_dir) == first
    assert time.monotonic() - start < 1
    assert weights.stat().st_mtime_ns == written
    assert [p.name for p in models_dir.iterdir() if not p.name.endswith(".lock")] == [BUNDLED_MODEL_NAME]


def test_locate_base_model(models_dir: Path, tiny_model: Path) -> None:
    assert locate_base_model(BUNDLED_MODEL_NAME, models_dir) == str(models_dir / BUNDLED_MODEL_NAME)
    assert locate_base_model(str(tiny_model), models_dir) == str(tiny_model)
    assert locate_base_model("HuggingFaceTB/SmolLM2-360M-Instruct", models_dir) == "HuggingFaceTB/SmolLM2-360M-Instruct"


def test_fingerprint_follows_the_model_directory_contents(tiny_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model, copy)
    assert model_fingerprint(str(copy)) == model_fingerprint(str(tiny_model))

    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "rope_theta": 1234.0}))
    changed_config = model_fingerprint(str(copy))
    assert changed_config != model_fingerprint(str(tiny_model))

    weights = next(copy.glob("*.safetensors"))
    with weights.open("ab") as file:
        file.write(b"\0")
    assert model_fingerprint(str(copy)) not in (changed_config, None)


def test_a_hub_id_has_no_fingerprint() -> None:
    assert model_fingerprint("HuggingFaceTB/SmolLM2-135M-Instruct") is None
