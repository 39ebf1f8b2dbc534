"""Supervised fine-tuning with LoRA / QLoRA adapters: one plain function, no Celery or database.

Command line: python -m worker.training.sft --data rows.jsonl --base-model DIR_OR_NAME --output DIR
"""

import argparse
import json
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from datasets import Dataset
from peft import LoraConfig, PeftModel
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    BitsAndBytesConfig,
    PreTrainedTokenizerBase,
    PrinterCallback,
)
from trl import SFTConfig, SFTTrainer

from worker.training.callbacks import SinkCallback
from worker.training.config import TrainingConfig
from worker.training.templates import Example, TemplateContext, render
from worker.training.tokenize import LoadedTokenizer, load_tokenizer, tokenize_many
from worker.training.types import AnyRecord, RunPaths, SplitData, TrainingResult, TrainingSink

Device = Literal["cuda", "cpu"]


def resolve_device() -> Device:
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_method(config: TrainingConfig, device: Device) -> Literal["qlora", "lora"]:
    # On CPU, 4-bit NF4 weights with bf16 compute made SmolLM2 worse (val loss 1.33 → 2.47), fp32 LoRA better.
    if config.method == "auto":
        return "qlora" if device == "cuda" else "lora"
    return config.method


def _cuda_half_dtype() -> torch.dtype:
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def model_dtype(device: Device) -> torch.dtype:
    """Dtype of the frozen (non-quantised) base weights. CPU matmuls in half precision are slow and lossy."""
    return _cuda_half_dtype() if device == "cuda" else torch.float32


def build_trainer_configs(
    config: TrainingConfig, device: Device, output_dir: Path = Path("trainer_output")
) -> tuple[dict[str, Any], LoraConfig, BitsAndBytesConfig | None]:
    """Resolve the studio's hyperparameters into SFTConfig keyword arguments, a LoraConfig and a 4-bit config.

    SFTConfig keyword arguments rather than the object: building one validates against the local hardware
    (bf16 without a GPU raises), which would keep the CUDA branch untestable on CPU.
    """
    bnb_config = None
    if resolve_method(config, device) == "qlora":
        bnb_config = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=config.bnb_4bit_quant_type,
            bnb_4bit_compute_dtype=getattr(torch, config.bnb_4bit_compute_dtype),
            bnb_4bit_use_double_quant=config.bnb_4bit_use_double_quant,
        )
    target_modules: str | list[str] = (
        "all-linear"
        if config.lora_target_modules.strip() == "all-linear"
        else [name.strip() for name in config.lora_target_modules.split(",") if name.strip()]
    )
    lora_config = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=target_modules,
        bias="none",
        task_type="CAUSAL_LM",
    )
    half = _cuda_half_dtype() if device == "cuda" else None
    sft_kwargs: dict[str, Any] = {
        "output_dir": str(output_dir),
        "learning_rate": config.learning_rate,
        "weight_decay": config.weight_decay,
        "lr_scheduler_type": config.lr_scheduler_type,
        # transformers 5 reads a warmup_steps below 1 as a share of the total steps (ceil(ratio * total)),
        # counted after TRL has tokenised and filtered the data, so the ratio is passed as is.
        "warmup_steps": config.warmup_ratio,
        "optim": config.optim,
        "num_train_epochs": config.num_train_epochs,
        "max_steps": config.max_steps,
        "per_device_train_batch_size": config.per_device_train_batch_size,
        "per_device_eval_batch_size": config.per_device_eval_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        # The new name of gradient_checkpointing in transformers 5 (the old one warns; TRL defaults it to True).
        "activation_checkpointing": config.gradient_checkpointing,
        "max_length": config.max_seq_length,
        "completion_only_loss": config.completion_only_loss,
        "max_grad_norm": config.max_grad_norm,
        "label_smoothing_factor": config.label_smoothing_factor,
        "neftune_noise_alpha": config.neftune_noise_alpha,
        "logging_steps": config.logging_steps,
        "eval_strategy": "steps",
        "eval_steps": config.eval_steps,
        "seed": config.seed,
        "report_to": "none",
        "save_strategy": "no",
        "disable_tqdm": True,
        "use_cpu": device == "cpu",
        # TRL turns bf16 on by default, CPU included: explicit on both branches.
        "bf16": half == torch.bfloat16,
        "fp16": half == torch.float16,
    }
    return sft_kwargs, lora_config, bnb_config


def load_training_tokenizer(base_model: str, loaded: PreTrainedTokenizerBase) -> LoadedTokenizer:
    """The tokenizer the API's preview uses (tokenizer.json read by worker.training.tokenize) when the model is a
    directory; for a hub id, the same Rust tokenizer transformers built from it."""
    if (Path(base_model) / "tokenizer.json").is_file():
        return load_tokenizer(base_model)
    backend = getattr(loaded, "backend_tokenizer", None)
    if backend is None or loaded.eos_token is None:
        raise ValueError(f"{base_model}: a fast tokenizer with an eos token is needed")
    return LoadedTokenizer(backend, str(loaded.eos_token))


def tokenized_dataset(
    config: TrainingConfig, examples: Sequence[AnyRecord], context: TemplateContext, tokenizer: LoadedTokenizer
) -> tuple[Dataset, int, int]:
    """`input_ids` + `completion_mask` rows, truncated to max_seq_length, built by worker.training.tokenize: the very
    tokens and mask the preview shows. TRL sees `input_ids` and skips its own tokenisation; it turns the mask into
    labels (-100 where 0) and pads labels with -100. Returns the dataset, how many examples were truncated, and how
    many were skipped because nothing of their answer fits in max_seq_length."""
    rendered = [render(config.template, e, context) for e in examples]
    tokenized = tokenize_many(
        tokenizer.tokenizer,
        rendered,
        eos_token=tokenizer.eos_token,
        max_length=config.max_seq_length,
        completion_only_loss=config.completion_only_loss,
    )
    rows = [{"input_ids": t.input_ids, "completion_mask": t.completion_mask} for t in tokenized if t.has_target]
    truncated = sum(1 for t in tokenized if t.truncated and t.has_target)
    return Dataset.from_list(rows), truncated, len(tokenized) - len(rows)


def environment(device: Device) -> dict[str, str]:
    import bitsandbytes
    import peft
    import transformers
    import trl

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
        "peft": peft.__version__,
        "bitsandbytes": bitsandbytes.__version__,
        "device": device,
        "device_name": torch.cuda.get_device_name(0)
        if device == "cuda"
        else f"{platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)",
    }


def train(config: TrainingConfig, data: SplitData, paths: RunPaths, sink: TrainingSink) -> TrainingResult:
    device = resolve_device()
    sft_kwargs, lora_config, bnb_config = build_trainer_configs(config, device, paths.output_dir)
    quantization = bnb_config.bnb_4bit_quant_type if bnb_config is not None else "none"

    tokenizer = AutoTokenizer.from_pretrained(paths.base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # Tokenised before the model loads, so a template or length problem fails in seconds.
    sink.event(f"tokenizing {len(data.train)} training and {len(data.validation)} validation examples")
    loaded = load_training_tokenizer(paths.base_model, tokenizer)
    train_dataset, truncated, skipped = tokenized_dataset(config, data.train, data.template_context, loaded)
    if truncated:
        sink.event(f"{truncated} training examples are longer than {config.max_seq_length} tokens: their ends are cut")
    if skipped:
        sink.event(
            f"{skipped} training examples skipped: their prompt fills all {config.max_seq_length} tokens, "
            "so no answer token would be trained on"
        )
    if len(train_dataset) == 0:
        raise ValueError(f"every training example's prompt is longer than max_seq_length ({config.max_seq_length})")
    eval_dataset, _, eval_skipped = tokenized_dataset(config, data.validation, data.template_context, loaded)
    if eval_skipped:
        sink.event(f"{eval_skipped} validation examples skipped: their prompt fills all {config.max_seq_length} tokens")
    has_validation = len(eval_dataset) > 0
    if not has_validation:
        sft_kwargs["eval_strategy"] = "no"
        sink.event("no validation examples: validation loss will not be measured")

    method = f"QLoRA, 4-bit {quantization}" if bnb_config is not None else "LoRA"
    sink.event(f"loading base model {paths.base_model} on {device} ({method})")
    model = AutoModelForCausalLM.from_pretrained(
        paths.base_model,
        dtype=model_dtype(device),
        quantization_config=bnb_config,
        # 4-bit weights are placed at load time; otherwise the Trainer moves the model.
        device_map={"": 0 if device == "cuda" else "cpu"} if bnb_config is not None else None,
    )

    callback = SinkCallback(sink)
    trainer = SFTTrainer(
        model=model,
        args=SFTConfig(**sft_kwargs),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset if has_validation else None,
        processing_class=tokenizer,
        peft_config=lora_config,
        callbacks=[callback],
    )
    # With tqdm disabled the Trainer prints every log dict to stdout; the sink already has them.
    trainer.remove_callback(PrinterCallback)
    peft_model = trainer.model
    assert isinstance(peft_model, PeftModel)
    # TRL casts QLoRA adapters to bf16; fp32 adapters under autocast update more precisely and cost little.
    for parameter in peft_model.parameters():
        if parameter.requires_grad:
            parameter.data = parameter.data.float()
    trainable, total = peft_model.get_nb_trainable_parameters()
    sink.event(f"{trainable:,} trainable adapter parameters ({100 * trainable / total:.2f}% of {total:,})")

    base_eval_loss = None
    if has_validation:
        sink.event(f"evaluating the base model on {len(eval_dataset)} validation examples")
        # Adapters off, so step 0 of the curve is exactly the base model the user started from.
        with peft_model.disable_adapter():
            base_eval_loss = trainer.evaluate()["eval_loss"]
        sink.event(f"base model validation loss {base_eval_loss:.4f}")

    if sink.cancel_requested():
        callback.cancelled = True
    else:
        trainer.train()
    step = trainer.state.global_step

    final_eval_loss = None
    if callback.cancelled:
        sink.event(f"cancelled at step {step}")
        trained_evals = [s for s in callback.eval_losses if s > 0]
        final_eval_loss = callback.eval_losses[max(trained_evals)] if trained_evals else None
    elif has_validation:
        if step not in callback.eval_losses:
            trainer.evaluate()
        final_eval_loss = callback.eval_losses[step]
        sink.event(f"final validation loss {final_eval_loss:.4f} (base model {base_eval_loss:.4f})")

    adapter_dir = None
    if not callback.cancelled:
        adapter_dir = paths.output_dir / "adapter"
        peft_model.save_pretrained(str(adapter_dir))
        tokenizer.save_pretrained(adapter_dir)
        sink.event(f"saved adapter to {adapter_dir}")

    return TrainingResult(
        cancelled=callback.cancelled,
        adapter_dir=adapter_dir,
        device=device,
        quantization=quantization,
        base_eval_loss=base_eval_loss,
        final_eval_loss=final_eval_loss,
        global_step=step,
        environment=environment(device),
    )


class PrintSink:
    """TrainingSink for the command line."""

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        shown = " ".join(f"{name}={value:.4g}" for name, value in values.items())
        print(f"step {step} epoch {epoch or 0:.2f} {shown}", flush=True)

    def event(self, message: str) -> None:
        print(f"-- {message}", flush=True)

    def cancel_requested(self) -> bool:
        return False


def main(argv: list[str] | None = None) -> None:
    from worker.training.base_models import read_chat_template, resolve_base_model

    parser = argparse.ArgumentParser(prog="python -m worker.training.sft")
    parser.add_argument("--data", type=Path, required=True, help="JSONL rows with instruction, input?, output")
    parser.add_argument("--base-model", required=True, help="local directory, hub id or the bundled model's name")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--models-dir", type=Path, default=Path(".studio/models"), help="for the bundled model")
    parser.add_argument("--config", default="{}", help='TrainingConfig overrides as JSON, e.g. {"max_steps": 10}')
    parser.add_argument("--validation-fraction", type=float, default=0.1)
    args = parser.parse_args(argv)

    config = TrainingConfig.model_validate_json(args.config)
    lines = args.data.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    examples = [Example(instruction=r["instruction"], output=r["output"], input=r.get("input", "")) for r in rows]
    n_validation = max(1, round(len(examples) * args.validation_fraction)) if len(examples) > 1 else 0
    base_model = resolve_base_model(args.base_model, args.models_dir)
    context = TemplateContext(chat_template=read_chat_template(base_model), custom_template=config.custom_template)
    split = SplitData(
        train=examples[n_validation:], validation=examples[:n_validation], test=[], template_context=context
    )
    paths = RunPaths(base_model=base_model, output_dir=args.output)
    result = train(config, split, paths, PrintSink())
    print(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(result).items()}, indent=2))


if __name__ == "__main__":
    main()
