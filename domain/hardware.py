"""What a run's hyperparameters become on the hardware that trains it: the method, the precision, the device.

One resolution for the worker (which trains with it) and the API's estimate (which predicts what the worker will do),
so the two can never disagree. No torch here: the worker detects the device and bf16 support and passes them in.
"""

from dataclasses import dataclass
from typing import Literal

from domain.config import TrainingConfig

Device = Literal["cuda", "cpu"]
ResolvedMethod = Literal["qlora", "lora_8bit", "lora", "full"]
ResolvedPrecision = Literal["bf16", "fp16", "fp32"]


@dataclass(frozen=True)
class Hardware:
    device: Device
    method: ResolvedMethod
    precision: ResolvedPrecision

    @property
    def half_precision(self) -> bool:
        """Activations (and frozen LoRA weights) in 16 bits."""
        return self.precision != "fp32"


def resolve_hardware(config: TrainingConfig, device: Device, *, bf16_supported: bool = True) -> Hardware:
    """The method and mixed precision `config` trains with on `device`.

    auto is plain LoRA on CPU: there 4-bit NF4 weights with bf16 compute made SmolLM2 worse (val loss 1.33 → 2.47),
    fp32 LoRA better. On a GPU auto depends on the memory, which domain.estimate.choose_hardware weighs (LoRA when it
    fits with headroom); without it, auto is QLoRA there, the least memory.

    `bf16_supported`: the GPU has bf16, or the CPU multiplies bf16 natively (AVX-512 BF16, AMX). A GPU without it
    gets fp16. On CPU auto is fp32: on a CPU with AMX, bf16 made a whole default run only 8% faster and its validation
    loss 0.01-0.02 worse (bench/cpu_training.py); bf16 asked for is honoured where the CPU has it, fp32 elsewhere
    (emulated bf16 is slower than fp32), and fp16 always resolves to fp32 (no fast CPU kernels).
    """
    auto: ResolvedMethod = "qlora" if device == "cuda" else "lora"
    method = auto if config.method == "auto" else config.method
    precision: ResolvedPrecision
    if config.precision == "fp32" or (device == "cpu" and (config.precision != "bf16" or not bf16_supported)):
        precision = "fp32"
    elif config.precision == "fp16" or not bf16_supported:
        precision = "fp16"
    else:
        precision = "bf16"
    return Hardware(device=device, method=method, precision=precision)


def resolution_notes(config: TrainingConfig, hardware: Hardware) -> list[str]:
    """What the worker changed or ignored from the request on this hardware, for the run's log."""
    notes = []
    if config.precision not in ("auto", hardware.precision):
        why = {
            ("cpu", "fp16"): "CPUs have no fast fp16 matmuls",
            ("cpu", "bf16"): "this CPU has no native bf16 (AVX-512 BF16 or AMX), and emulated bf16 is slower than fp32",
        }.get((hardware.device, config.precision), "this GPU has no bf16")
        notes.append(f"precision {config.precision} requested, training in {hardware.precision}: {why}")
    if config.auto_find_batch_size and hardware.device == "cpu":
        notes.append("auto_find_batch_size has no effect on CPU (it reacts to GPU out-of-memory errors)")
    if config.group_by_length and config.packing:
        notes.append("group_by_length has no effect with packing: packed rows all have the same length")
    if config.packing:
        notes.append(
            f"packing: each step now holds several examples per {config.max_seq_length}-token row, so there are "
            "fewer steps and the training loss averages over more tokens; validation is not packed"
        )
    return notes
