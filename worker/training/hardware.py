"""The device this worker trains on, and the torch dtypes of the hardware resolution in domain.hardware."""

from functools import cache
from pathlib import Path

import torch

from domain.config import TrainingConfig
from domain.hardware import Device, Hardware, resolve_hardware


def detect_device() -> Device:
    return "cuda" if torch.cuda.is_available() else "cpu"


def hardware_for(config: TrainingConfig, device: Device | None = None) -> Hardware:
    """How `config` trains on `device` (default: this machine's)."""
    device = device or detect_device()
    return resolve_hardware(config, device, bf16_supported=device != "cuda" or torch.cuda.is_bf16_supported())


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
