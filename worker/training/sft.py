"""Supervised fine-tuning with LoRA / QLoRA adapters: one plain function, no Celery or database.

Command line: python -m worker.training.sft --data rows.jsonl --base-model DIR_OR_NAME --output DIR
"""

import argparse
import json
import platform
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Literal, NamedTuple

import torch
from datasets import Dataset
from peft import LoraConfig, PeftModel, load_peft_weights, set_peft_model_state_dict
from safetensors.torch import load_file
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    BitsAndBytesConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PrinterCallback,
    TrainerCallback,
)
from transformers.trainer_utils import load_sharded_checkpoint
from trl import SFTConfig, SFTTrainer

from worker.training.callbacks import LossWatchdog, SinkCallback, TrainingFlow, ValidationMonitor, checkpoint_dir
from worker.training.config import FULL_FINE_TUNING_MAX_PARAMETERS, TrainingConfig
from worker.training.templates import Example, TemplateContext, render
from worker.training.tokenize import LoadedTokenizer, load_tokenizer, tokenize_many
from worker.training.types import (
    AnyRecord,
    EventKind,
    RunPaths,
    SplitData,
    TrainingResult,
    TrainingSink,
    TrainingStopped,
)

Device = Literal["cuda", "cpu"]
ResolvedMethod = Literal["qlora", "lora_8bit", "lora", "full"]
ResolvedPrecision = Literal["bf16", "fp16", "fp32"]


def resolve_device() -> Device:
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_method(config: TrainingConfig, device: Device) -> ResolvedMethod:
    # On CPU, 4-bit NF4 weights with bf16 compute made SmolLM2 worse (val loss 1.33 → 2.47), fp32 LoRA better.
    if config.method == "auto":
        return "qlora" if device == "cuda" else "lora"
    return config.method


def _cuda_half_dtype() -> torch.dtype:
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def resolve_precision(config: TrainingConfig, device: Device) -> ResolvedPrecision:
    """Mixed precision the run trains with. Half precision only on CUDA: CPU matmuls in it are slow and lossy."""
    if device == "cpu":
        return "fp32"
    if config.precision == "fp32":
        return "fp32"
    bf16_supported = torch.cuda.is_bf16_supported()
    if config.precision == "fp16" or not bf16_supported:
        return "fp16"
    return "bf16"


def resolution_notes(config: TrainingConfig, device: Device) -> list[str]:
    """What the worker changed or ignored from the request on this hardware, for the run's events."""
    notes = []
    precision = resolve_precision(config, device)
    if config.precision not in ("auto", precision):
        why = "on CPU half precision is slow and lossy" if device == "cpu" else "this GPU has no bf16"
        notes.append(f"precision {config.precision} requested, training in {precision}: {why}")
    if config.auto_find_batch_size and device == "cpu":
        notes.append("auto_find_batch_size has no effect on CPU (it reacts to GPU out-of-memory errors)")
    if config.group_by_length and config.packing:
        notes.append("group_by_length has no effect with packing: packed rows all have the same length")
    if config.packing:
        notes.append(
            f"packing: each step now holds several examples per {config.max_seq_length}-token row, so there are "
            "fewer steps and the training loss averages over more tokens; validation is not packed"
        )
    return notes


def model_dtype(device: Device) -> torch.dtype:
    """Dtype of the frozen (non-quantised) base weights. CPU matmuls in half precision are slow and lossy."""
    return _cuda_half_dtype() if device == "cuda" else torch.float32


def weights_dtype(config: TrainingConfig, device: Device) -> torch.dtype:
    """Dtype the base weights are loaded in. Frozen weights (LoRA) in the training precision; fully trained weights
    stay fp32 masters under mixed precision, since the optimiser cannot update fp16/bf16 weights precisely."""
    if resolve_method(config, device) == "full":
        return torch.float32
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[resolve_precision(config, device)]


def quantization_config(config: TrainingConfig, device: Device) -> BitsAndBytesConfig | None:
    method = resolve_method(config, device)
    if method == "qlora":
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=config.bnb_4bit_quant_type,
            bnb_4bit_compute_dtype=getattr(torch, config.bnb_4bit_compute_dtype),
            bnb_4bit_use_double_quant=config.bnb_4bit_use_double_quant,
        )
    if method == "lora_8bit":
        return BitsAndBytesConfig(
            load_in_8bit=True,
            llm_int8_threshold=config.llm_int8_threshold,
            llm_int8_skip_modules=config.llm_int8_skip_modules,
        )
    return None


def linear_module_names(model: torch.nn.Module) -> list[str]:
    """The names ("q_proj", "down_proj", ...) of the model's linear layers other than the output head: what PEFT's
    "all-linear" means. Needed to name them when only some layers get adapters (layers_to_transform)."""
    output = model.get_output_embeddings() if isinstance(model, PreTrainedModel) else None
    names = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module is not output
    }
    return sorted(names)


def build_lora_config(config: TrainingConfig, linear_modules: Sequence[str] | None = None) -> LoraConfig:
    target_modules: str | list[str]
    if config.lora_target_modules.strip() == "all-linear":
        target_modules = "all-linear"
        if config.layers_to_transform is not None:
            # PEFT only limits named modules to some layers, so "all-linear" has to be spelled out.
            if not linear_modules:
                raise ValueError("layers_to_transform with 'all-linear' needs the model's linear module names")
            target_modules = list(linear_modules)
    else:
        target_modules = [name.strip() for name in config.lora_target_modules.split(",") if name.strip()]
    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=target_modules,
        layers_to_transform=config.layers_to_transform,
        bias="none",
        task_type="CAUSAL_LM",
    )


def build_trainer_configs(
    config: TrainingConfig,
    device: Device,
    output_dir: Path = Path("trainer_output"),
    linear_modules: Sequence[str] | None = None,
) -> tuple[dict[str, Any], LoraConfig | None, BitsAndBytesConfig | None]:
    """Resolve the studio's hyperparameters into SFTConfig keyword arguments, a LoraConfig (None for full
    fine-tuning) and a bitsandbytes config (None without quantisation).

    SFTConfig keyword arguments rather than the object: building one validates against the local hardware
    (bf16 without a GPU raises), which would keep the CUDA branch untestable on CPU.
    """
    method = resolve_method(config, device)
    lora_config = None if method == "full" else build_lora_config(config, linear_modules)
    precision = resolve_precision(config, device)
    eval_strategy = {"steps": "steps", "steps_and_epoch": "steps", "epoch": "epoch", "no": "no"}[config.eval_strategy]
    sft_kwargs: dict[str, Any] = {
        "output_dir": str(output_dir),
        "optim": config.optim,
        "learning_rate": config.learning_rate,
        "weight_decay": config.weight_decay,
        "adam_beta1": config.adam_beta1,
        "adam_beta2": config.adam_beta2,
        "adam_epsilon": config.adam_epsilon,
        "lr_scheduler_type": config.lr_scheduler_type,
        "lr_scheduler_kwargs": (
            {"num_cycles": config.lr_scheduler_num_cycles} if config.lr_scheduler_type == "cosine_with_restarts" else {}
        ),
        # transformers 5 reads a warmup_steps below 1 as a share of the total steps (ceil(ratio * total)),
        # counted after TRL has tokenised and filtered the data, so a ratio is passed as is.
        "warmup_steps": config.warmup_steps if config.warmup_steps is not None else config.warmup_ratio,
        "num_train_epochs": config.num_train_epochs,
        "max_steps": config.max_steps,
        "per_device_train_batch_size": config.per_device_train_batch_size,
        "per_device_eval_batch_size": config.per_device_eval_batch_size,
        "auto_find_batch_size": config.auto_find_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        # The new name of gradient_checkpointing in transformers 5 (the old one warns; TRL defaults it to True).
        "activation_checkpointing": config.gradient_checkpointing,
        # TRL turns bf16 on by default, CPU included: explicit on both.
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        # The dataset is already truncated to max_seq_length (worker.training.tokenize). TRL refuses a max_length with
        # padding-free batches that are not packed, since it would not enforce it there; nothing is left to enforce.
        "max_length": None if config.padding_free and not config.packing else config.max_seq_length,
        # TRL packs input_ids with the labels built from completion_mask (best-fit decreasing, no example split), so
        # the prompt mask survives packing; packed rows are padding-free, and attention stays within each example
        # (flash-attention kernels, or a block-diagonal mask built from position_ids).
        "packing": config.packing,
        "packing_strategy": "bfd",
        "padding_free": config.padding_free,
        # Validation is never packed: its loss stays comparable with the base model's and across runs.
        "eval_packing": False,
        # transformers 5 replaced group_by_length with a sampling strategy; lengths are read from input_ids.
        "train_sampling_strategy": "group_by_length" if config.group_by_length else "random",
        "completion_only_loss": config.completion_only_loss,
        "max_grad_norm": config.max_grad_norm,
        "label_smoothing_factor": config.label_smoothing_factor,
        "neftune_noise_alpha": config.neftune_noise_alpha,
        "logging_steps": config.logging_steps,
        # Otherwise a NaN/inf loss is logged as the running average, hiding it from the loss watchdog.
        "logging_nan_inf_filter": False,
        "eval_strategy": eval_strategy,
        "eval_steps": config.eval_steps,
        "save_strategy": "steps",
        "save_steps": config.save_steps,
        "save_total_limit": config.save_total_limit,
        # Best by validation loss: the Trainer tracks it (best_model_checkpoint) and never rotates that checkpoint
        # away. Loading it at the end is done by train() (load_best_model_at_end would force save_steps to be a
        # multiple of eval_steps), and only when the config asks for it.
        "metric_for_best_model": "eval_loss" if config.evaluates else None,
        "greater_is_better": False if config.evaluates else None,
        "load_best_model_at_end": False,
        "seed": config.seed,
        "report_to": "none",
        "disable_tqdm": True,
        "use_cpu": device == "cpu",
    }
    return sft_kwargs, lora_config, quantization_config(config, device)


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


class Callbacks(NamedTuple):
    sink: SinkCallback
    flow: TrainingFlow
    monitor: ValidationMonitor
    watchdog: LossWatchdog


def build_callbacks(config: TrainingConfig, sink: TrainingSink, resumed_step: int = 0) -> Callbacks:
    """The run's callbacks, in the order they act: metrics out first, then the cadence, then the guard rails."""
    return Callbacks(
        sink=SinkCallback(sink, resumed_step=resumed_step),
        flow=TrainingFlow(evaluate_each_epoch=config.eval_strategy == "steps_and_epoch"),
        monitor=ValidationMonitor(
            sink, config.early_stopping_patience, config.early_stopping_threshold, keep_best=config.keeps_best
        ),
        watchdog=LossWatchdog(sink, config.max_loss_spike_factor),
    )


def _quantization_name(bnb_config: BitsAndBytesConfig | None) -> str:
    if bnb_config is None:
        return "none"
    return "int8" if bnb_config.load_in_8bit else str(bnb_config.bnb_4bit_quant_type)


def _describe_method(method: ResolvedMethod, quantization: str) -> str:
    return {
        "qlora": f"QLoRA, 4-bit {quantization}",
        "lora_8bit": "LoRA over 8-bit weights",
        "lora": "LoRA",
        "full": "full fine-tuning",
    }[method]


def _restore_weights(model: torch.nn.Module, checkpoint: Path) -> None:
    """Load the trained weights of `checkpoint` (a Trainer checkpoint directory) into `model`."""
    if isinstance(model, PeftModel):
        set_peft_model_state_dict(model, load_peft_weights(str(checkpoint)))
    elif (checkpoint / "model.safetensors").is_file():
        # strict=False: tied weights (the output head sharing the embeddings) are stored once.
        model.load_state_dict(load_file(checkpoint / "model.safetensors"), strict=False)
    else:
        load_sharded_checkpoint(model, str(checkpoint), strict=False)


def train(
    config: TrainingConfig,
    data: SplitData,
    paths: RunPaths,
    sink: TrainingSink,
    *,
    extra_callbacks: Sequence[TrainerCallback] = (),
    save: bool = True,
) -> TrainingResult:
    """Fine-tune `paths.base_model` on `data.train`, report to `sink`, save the result under `paths.output_dir`.

    Raises TrainingStopped when the loss watchdog stops the run. With `paths.resume_from`, continues from that
    checkpoint. See worker.training.callbacks for checkpoints, early stopping and the best model.
    `extra_callbacks` act after the run's own; `save=False` keeps the trained weights in memory only (a pre-flight).
    """
    device = resolve_device()
    method = resolve_method(config, device)
    bnb_config = quantization_config(config, device)
    quantization = _quantization_name(bnb_config)
    for note in resolution_notes(config, device):
        sink.event(note, EventKind.WARNING)

    tokenizer = AutoTokenizer.from_pretrained(paths.base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # Tokenised before the model loads, so a template or length problem fails in seconds.
    sink.event(
        f"tokenizing {len(data.train)} training and {len(data.validation)} validation examples", EventKind.PROGRESS
    )
    loaded = load_training_tokenizer(paths.base_model, tokenizer)
    train_dataset, truncated, skipped = tokenized_dataset(config, data.train, data.template_context, loaded)
    if truncated:
        sink.event(
            f"{truncated} training examples are longer than {config.max_seq_length} tokens: their ends are cut",
            EventKind.WARNING,
        )
    if skipped:
        sink.event(
            f"{skipped} training examples skipped: their prompt fills all {config.max_seq_length} tokens, "
            "so no answer token would be trained on",
            EventKind.WARNING,
        )
    if len(train_dataset) == 0:
        raise ValueError(f"every training example's prompt is longer than max_seq_length ({config.max_seq_length})")
    eval_dataset, _, eval_skipped = tokenized_dataset(config, data.validation, data.template_context, loaded)
    if eval_skipped:
        sink.event(
            f"{eval_skipped} validation examples skipped: their prompt fills all {config.max_seq_length} tokens",
            EventKind.WARNING,
        )
    has_validation = len(eval_dataset) > 0
    if not has_validation:
        sink.event("no validation examples: validation loss will not be measured", EventKind.WARNING)
        config = config.model_copy(
            update={"eval_strategy": "no", "load_best_model_at_end": False, "early_stopping_patience": None}
        )
    elif not config.evaluates:
        sink.event("eval_strategy is 'no': validation loss is measured before and after training only")

    sink.event(
        f"loading base model {paths.base_model} on {device} ({_describe_method(method, quantization)})",
        EventKind.PROGRESS,
    )
    model = AutoModelForCausalLM.from_pretrained(
        paths.base_model,
        dtype=weights_dtype(config, device),
        quantization_config=bnb_config,
        # Quantised weights are placed at load time; otherwise the Trainer moves the model.
        device_map={"": 0 if device == "cuda" else "cpu"} if bnb_config is not None else None,
    )
    if method == "full" and model.num_parameters() > FULL_FINE_TUNING_MAX_PARAMETERS:
        raise ValueError(
            f"full fine-tuning is limited to models of up to {FULL_FINE_TUNING_MAX_PARAMETERS / 1e9:.1f}B parameters "
            f"(this one has {model.num_parameters() / 1e9:.1f}B): use method lora or qlora"
        )
    linear_modules = linear_module_names(model) if config.layers_to_transform is not None else None
    sft_kwargs, lora_config, _ = build_trainer_configs(config, device, paths.output_dir, linear_modules)

    resumed_step = _checkpoint_step(paths.resume_from) if paths.resume_from is not None else 0
    callbacks = build_callbacks(config, sink, resumed_step)
    sink_callback, monitor, watchdog = callbacks.sink, callbacks.monitor, callbacks.watchdog
    trainer = SFTTrainer(
        model=model,
        args=SFTConfig(**sft_kwargs),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset if has_validation else None,
        processing_class=tokenizer,
        peft_config=lora_config,
        callbacks=[*callbacks, *extra_callbacks],
    )
    # With tqdm disabled the Trainer prints every log dict to stdout; the sink already has them.
    trainer.remove_callback(PrinterCallback)
    trained_model = trainer.model
    assert isinstance(trained_model, torch.nn.Module)
    if isinstance(trained_model, PeftModel):
        # TRL casts QLoRA adapters to bf16; fp32 adapters under autocast update more precisely and cost little.
        for parameter in trained_model.parameters():
            if parameter.requires_grad:
                parameter.data = parameter.data.float()
        trainable, total = trained_model.get_nb_trainable_parameters()
        sink.event(f"{trainable:,} trainable adapter parameters ({100 * trainable / total:.2f}% of {total:,})")
    else:
        total = sum(parameter.numel() for parameter in trained_model.parameters())
        sink.event(f"{total:,} trainable parameters (every weight of the model)")

    base_eval_loss = paths.base_eval_loss if paths.resume_from is not None else None
    if has_validation and base_eval_loss is None:
        sink.event(f"evaluating the base model on {len(eval_dataset)} validation examples", EventKind.PROGRESS)
        # Adapters off, so step 0 of the curve is exactly the base model the user started from. (Full fine-tuning has
        # not changed a weight yet.) Resuming, the sink callback does not send this step-0 evaluation again.
        with trained_model.disable_adapter() if isinstance(trained_model, PeftModel) else nullcontext():
            base_eval_loss = trainer.evaluate()["eval_loss"]
        sink.event(f"base model validation loss {base_eval_loss:.4f}")

    if sink.cancel_requested():
        sink_callback.cancelled = True
    else:
        trainer.train(resume_from_checkpoint=str(paths.resume_from) if paths.resume_from is not None else None)
    step = trainer.state.global_step
    if watchdog.reason is not None:
        raise TrainingStopped(watchdog.reason, watchdog.step)

    best = monitor.best
    adapter_step = step
    final_eval_loss = None
    if sink_callback.cancelled:
        sink.event(f"cancelled at step {step}", EventKind.STOPPED)
        trained_evals = [s for s in sink_callback.eval_losses if s > 0]
        final_eval_loss = sink_callback.eval_losses[max(trained_evals)] if trained_evals else None
    elif config.keeps_best and best is not None and best.step != step:
        best_dir = checkpoint_dir(paths.output_dir, best.step)
        if best_dir.is_dir():
            _restore_weights(trained_model, best_dir)
            adapter_step, final_eval_loss = best.step, best.eval_loss
            sink.event(
                f"restored the weights of step {best.step}, the best validation loss ({best.eval_loss:.4f}); "
                f"training went on to step {step}"
            )
        else:
            sink.event(
                f"the best checkpoint ({best_dir.name}) is missing: keeping the weights of step {step}",
                EventKind.WARNING,
            )
    if not sink_callback.cancelled and has_validation and final_eval_loss is None:
        if step not in sink_callback.eval_losses:
            trainer.evaluate()
        final_eval_loss = sink_callback.eval_losses[step]
    if final_eval_loss is not None and base_eval_loss is not None and not sink_callback.cancelled:
        sink.event(f"final validation loss {final_eval_loss:.4f} (base model {base_eval_loss:.4f})")

    adapter_dir = None
    artifact: Literal["adapter", "model"] = "adapter" if isinstance(trained_model, PeftModel) else "model"
    if save and not sink_callback.cancelled:
        adapter_dir = paths.output_dir / artifact
        assert isinstance(trained_model, PeftModel | PreTrainedModel)
        trained_model.save_pretrained(str(adapter_dir))
        tokenizer.save_pretrained(adapter_dir)
        sink.event(f"saved {'adapter' if artifact == 'adapter' else 'fine-tuned model'} to {adapter_dir}")

    return TrainingResult(
        cancelled=sink_callback.cancelled,
        adapter_dir=adapter_dir,
        device=device,
        quantization=quantization,
        base_eval_loss=base_eval_loss,
        final_eval_loss=final_eval_loss,
        global_step=step,
        environment=environment(device),
        stop_reason=monitor.stop_reason,
        best_step=best.step if best is not None else None,
        adapter_step=None if sink_callback.cancelled else adapter_step,
        artifact=artifact,
    )


def _checkpoint_step(checkpoint: Path) -> int:
    """N of a Trainer checkpoint directory named checkpoint-N."""
    name = checkpoint.name
    if not name.startswith("checkpoint-") or not name.removeprefix("checkpoint-").isdigit():
        raise ValueError(f"{checkpoint} is not a Trainer checkpoint directory (checkpoint-<step>)")
    if not (checkpoint / "trainer_state.json").is_file():
        raise ValueError(f"{checkpoint} has no trainer_state.json: it cannot be resumed from")
    return int(name.removeprefix("checkpoint-"))


class PrintSink:
    """TrainingSink for the command line."""

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        shown = " ".join(f"{name}={value:.4g}" for name, value in values.items())
        print(f"step {step} epoch {epoch or 0:.2f} {shown}", flush=True)

    def event(self, message: str, kind: EventKind = EventKind.INFO) -> None:
        print(f"-- {message}", flush=True)

    def cancel_requested(self) -> bool:
        return False

    def checkpoint(self, step: int, path: Path, eval_loss: float | None) -> None:
        shown = f", validation loss {eval_loss:.4f}" if eval_loss is not None else ""
        print(f"-- checkpoint of step {step} saved to {path}{shown}", flush=True)


def main(argv: list[str] | None = None) -> None:
    from worker.training.base_models import read_chat_template, resolve_base_model

    parser = argparse.ArgumentParser(prog="python -m worker.training.sft")
    parser.add_argument("--data", type=Path, required=True, help="JSONL rows with instruction, input?, output")
    parser.add_argument("--base-model", required=True, help="local directory, hub id or the bundled model's name")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--models-dir", type=Path, default=Path(".studio/models"), help="for the bundled model")
    parser.add_argument("--config", default="{}", help='TrainingConfig overrides as JSON, e.g. {"max_steps": 10}')
    parser.add_argument("--validation-fraction", type=float, default=0.1)
    parser.add_argument("--resume-from", type=Path, default=None, help="a checkpoint-N directory under --output")
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
    paths = RunPaths(base_model=base_model, output_dir=args.output, resume_from=args.resume_from)
    result = train(config, split, paths, PrintSink())
    print(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(result).items()}, indent=2))


if __name__ == "__main__":
    main()
