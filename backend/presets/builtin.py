"""Built-in presets, each with its source. Hyperparameters not named keep TrainingConfig's defaults."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BuiltinPreset:
    name: str
    description: str
    hyperparameters: dict[str, Any]


BUILTIN_PRESETS = (
    BuiltinPreset(
        name="Quick CPU check",
        description=(
            "Proves the pipeline end to end in about a minute on the bundled model on a laptop CPU: "
            "a dozen steps of LoRA, short answers. Not for quality."
        ),
        hyperparameters={"max_steps": 12, "eval_steps": 4, "max_seq_length": 192, "max_new_tokens": 48},
    ),
    BuiltinPreset(
        name="Studio default (LoRA on CPU, QLoRA on GPU)",
        description=(
            "The defaults: r=16, alpha=32, dropout 0.05 on all linear layers, AdamW lr 2e-4, cosine with 3% warmup, "
            "2 epochs, batch 8. 4-bit NF4 base weights on a GPU; full precision on CPU, where 4-bit was measured "
            "to hurt small models."
        ),
        hyperparameters={},
    ),
    BuiltinPreset(
        name="QLoRA paper (Dettmers et al., 2023)",
        description=(
            "The QLoRA paper's recipe: NF4 with double quantisation, bf16 compute, r=64, alpha=16, dropout 0.05 on "
            "all linear layers, lr 2e-4 constant, max grad norm 0.3, batch 16. Meant for a GPU."
        ),
        hyperparameters={
            "method": "qlora",
            "bnb_4bit_quant_type": "nf4",
            "bnb_4bit_compute_dtype": "bfloat16",
            "bnb_4bit_use_double_quant": True,
            "lora_r": 64,
            "lora_alpha": 16,
            "lora_dropout": 0.05,
            "learning_rate": 2e-4,
            "lr_scheduler_type": "constant",
            "warmup_ratio": 0.0,
            "max_grad_norm": 0.3,
            "per_device_train_batch_size": 16,
        },
    ),
)
