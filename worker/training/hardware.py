"""The device this worker trains on, and the torch dtypes of the hardware resolution in domain.hardware."""

import torch

from domain.config import TrainingConfig
from domain.hardware import Device, Hardware, resolve_hardware


def detect_device() -> Device:
    return "cuda" if torch.cuda.is_available() else "cpu"


def hardware_for(config: TrainingConfig, device: Device | None = None) -> Hardware:
    """How `config` trains on `device` (default: this machine's)."""
    device = device or detect_device()
    return resolve_hardware(config, device, bf16_supported=device != "cuda" or torch.cuda.is_bf16_supported())


def model_dtype(device: Device) -> torch.dtype:
    """Dtype of frozen base weights that only answer prompts. CPU matmuls in half precision are slow and lossy."""
    if device == "cpu":
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def weights_dtype(hardware: Hardware) -> torch.dtype:
    """Dtype the base weights are loaded in for training. Frozen weights (LoRA) in the training precision; fully
    trained weights stay fp32 masters under mixed precision, since the optimiser cannot update fp16/bf16 weights
    precisely."""
    if hardware.method == "full":
        return torch.float32
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[hardware.precision]
