"""The estimate of a run before it is queued: what is asked, and what comes back."""

from typing import Literal

from pydantic import BaseModel, Field

from backend.runs.schemas import RunSpec
from domain.hardware import Device


class EstimateRequest(RunSpec):
    """The run to estimate, as it would be created."""


class MemoryBreakdownOut(BaseModel):
    weights: int = Field(description="Base model weights at the run's precision: float32 on CPU, 4-bit for QLoRA.")
    lora: int = Field(description="The LoRA adapters (float32): r × (in + out) per adapted linear layer.")
    gradients: int = Field(description="One gradient per trainable parameter.")
    optimizer: int = Field(description="Optimiser state: AdamW 8 bytes per trainable parameter, Adafactor/SGD ~4.")
    activations: int = Field(description="What the forward pass keeps for the backward pass, for batch × seq_len.")
    logits: int = Field(description="Scoring every vocabulary entry at every position (the loss and its gradient).")
    overhead: int = Field(description="The Python/torch process and memory the allocator holds but does not use.")


class ComparedWorker(BaseModel):
    """A live training worker and whether the run fits in its memory."""

    worker_id: str = Field(description="Its id in GET /api/workers.")
    hostname: str
    device: Device
    device_name: str
    memory_bytes: int = Field(description="Its memory: the smallest GPU's on CUDA, else its RAM or container limit.")
    method: str = Field(
        description="How the run trains on this worker: with method auto, LoRA on a GPU where it fits with headroom, "
        "else QLoRA; LoRA on CPU."
    )
    needs_bytes: int = Field(
        description="What the run needs of this worker's memory with that method: the estimated peak plus, on CUDA, "
        "the CUDA context."
    )
    fits: bool


Verdict = Literal["fits", "tight", "some_too_small", "wont_fit"]


class EstimateOut(BaseModel):
    device: Device = Field(
        description="The device of the breakdown: cuda when a live training worker has a GPU, else cpu (also when "
        "no training worker is running)."
    )
    compared_with: list[ComparedWorker] = Field(
        description="Every live training worker, each with the run's peak on its own device: a run goes to whichever "
        "is free. Empty: none is running, and the estimate is compared with this machine's memory."
    )
    method: str = Field(
        description="How the run trains on `device` (on its smallest worker there): lora, qlora, lora_8bit or full."
    )
    method_reason: str | None = Field(
        description="Why method auto gives `method` there, with the figures: the line the worker's log will show. "
        "Null when the run names its method."
    )
    seq_len_used: int = Field(description="Padded tokens per example in the longest batch.")
    seq_len_source: str = Field(description="Where seq_len_used comes from.")
    token_lengths_pending: bool = Field(
        description="A worker is still counting the dataset's tokens: ask again shortly for an estimate from them."
    )
    breakdown: MemoryBreakdownOut
    total_bytes: int = Field(
        description="Estimated peak memory of the training process on `device`: resident memory on CPU; on CUDA the "
        "allocator's peak, comparable with torch.cuda.max_memory_allocated and the run's measured peak."
    )
    context_bytes: int = Field(
        description="Device memory outside that peak, added when comparing with a worker's memory: the CUDA context "
        "and cuBLAS workspace (0 on CPU)."
    )
    available_bytes: int = Field(
        description="The smallest memory among the training workers on `device` (what fits there fits on each of "
        "them), or this machine's total memory (or its container's limit) when no training worker is running."
    )
    fits: bool = Field(description="It fits on every live training worker (on this machine when none is running).")
    verdict: Verdict = Field(
        description="fits; tight (above 80% of some worker's memory, and the estimate can be 25% off); "
        "some_too_small (fits on some workers, runs out of memory on the others); wont_fit (on none)."
    )
    warning: str | None = Field(
        description="Why the run will not, or may not, fit (naming the workers too small), and what to change."
    )
    note: str = Field(description="What the estimate was compared with, and how far to trust it.")
    total_parameters: int
    trainable_parameters: int
    train_tokens: int | None = Field(description="Tokens the run trains on (padding excluded), over all epochs.")
    tokens_per_second: float | None = Field(
        description="Median throughput of the latest finished run on this base model; null: none yet."
    )
    estimated_seconds: float | None = Field(description="train_tokens / tokens_per_second; null: no measurement.")
