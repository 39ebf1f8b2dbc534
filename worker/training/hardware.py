"""The device this worker trains on, and the torch dtypes of the hardware resolution in domain.hardware."""

import importlib.util
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import psutil
import torch
from transformers import PretrainedConfig

from domain import machine
from domain.config import TrainingConfig
from domain.estimate import HardwareChoice, choose_hardware, peak_seq_len, scored_share
from domain.hardware import Device, Hardware, resolve_hardware


def detect_device() -> Device:
    return "cuda" if torch.cuda.is_available() else "cpu"


def hardware_for(config: TrainingConfig, device: Device | None = None) -> Hardware:
    """How `config` trains on `device` (default: this machine's)."""
    device = device or detect_device()
    return resolve_hardware(config, device, bf16_supported=_bf16_supported(device))


def _bf16_supported(device: Device) -> bool:
    return torch.cuda.is_bf16_supported() if device == "cuda" else cpu_computes_bf16()


def cuda_has_tf32() -> bool:
    """TF32 matmuls (Ampere and later): fp32 work, an optimiser's included, at tensor-core speed."""
    return torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8


def liger_installed() -> bool:
    """Liger's Triton kernels (fused linear cross-entropy, RMSNorm, SwiGLU, RoPE): optional, CUDA only."""
    return importlib.util.find_spec("liger_kernel") is not None


def device_memory_bytes(device: Device) -> int:
    """The memory method auto is weighed against, as the worker registry reports it: the smallest GPU's, else RAM."""
    if device == "cuda":
        return min(torch.cuda.get_device_properties(i).total_memory for i in range(torch.cuda.device_count()))
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def choose_hardware_here(
    config: TrainingConfig,
    base_model_location: str,
    lengths: Sequence[int],
    answer_lengths: Sequence[int],
    validation_examples: int | None,
    *,
    device: Device | None = None,
    memory_bytes: int | None = None,
) -> HardwareChoice:
    """domain.estimate.choose_hardware on this worker's device (or `device` with `memory_bytes`, in tests), from the
    base model's config.json and the tokenised examples' `lengths` and `answer_lengths` (the tokens the loss counts):
    what the API's estimate predicted."""
    device = device or detect_device()
    model_config, _ = PretrainedConfig.get_config_dict(base_model_location)
    return choose_hardware(
        model_config,
        config,
        device=device,
        memory_bytes=memory_bytes if memory_bytes is not None else device_memory_bytes(device),
        seq_len=peak_seq_len(lengths, config),
        validation_examples=validation_examples,
        bf16_supported=_bf16_supported(device),
        scored_share=scored_share(lengths, answer_lengths, config),
    )


def cpu_threads() -> int:
    """The threads CPU math should use: one per physical core this process may run on, within a container's CPU
    quota (machine.cpu_count). A hyper-thread shares its core's vector units, so a second thread per core only adds
    contention; torch's default counts the host's cores and oversubscribes a quota."""
    return max(1, min(machine.cpu_count(), psutil.cpu_count(logical=False) or machine.cpu_count()))


def use_cpu_threads() -> None:
    """Set torch's intra-op threads to cpu_threads(): call once where a worker process starts training or answering."""
    torch.set_num_threads(cpu_threads())


@cache
def cpu_computes_bf16(cpuinfo_path: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU multiplies bf16 natively (AVX-512 BF16 or AMX). Elsewhere torch emulates bf16: slow."""
    try:
        with cpuinfo_path.open() as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
    except OSError:  # not Linux
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def model_dtype(device: Device) -> torch.dtype:
    """Dtype of weights that only answer prompts. On a CPU with native bf16, bf16 answered the bundled model's prompts
    2.3x faster than fp32 at the same ROUGE-L (bench/generation.py --compare-fp32); without it, bf16 is emulated and
    slower than fp32."""
    if device == "cpu":
        return torch.bfloat16 if cpu_computes_bf16() else torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def weights_dtype(hardware: Hardware) -> torch.dtype:
    """Dtype the base weights are loaded in for training. Frozen weights (LoRA) in the training precision; fully
    trained weights stay fp32 masters under mixed precision, since the optimiser cannot update fp16/bf16 weights
    precisely."""
    if hardware.method == "full":
        return torch.float32
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[hardware.precision]
