"""Supervised fine-tuning with LoRA / QLoRA adapters: one plain function, no Celery or database.

Command line: python -m worker.training.cli --data rows.jsonl --base-model DIR_OR_NAME --output DIR
"""

import platform
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
from datasets import Dataset
from peft import PeftModel, load_peft_weights, set_peft_model_state_dict
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

from domain.artifacts import WeightsKind, checkpoint_dir, checkpoint_step
from domain.config import FULL_FINE_TUNING_MAX_PARAMETERS, TrainingConfig
from domain.hardware import Device, Hardware, ResolvedMethod, resolution_notes
from domain.log import LogKind
from domain.text import plural
from worker.training.callbacks import LossWatchdog, SinkCallback, TrainingFlow, ValidationMonitor
from worker.training.hardware import choose_hardware_here, hardware_for, weights_dtype
from worker.training.lm_head import score_kept_positions_only
from worker.training.memory import release_memory
from worker.training.oom import is_out_of_memory
from worker.training.packed_attention import PER_EXAMPLE_SDPA
from worker.training.pinned import pinned_examples
from worker.training.sft_config import build_trainer_configs, linear_module_names, quantization_config
from worker.training.sft_data import load_training_tokenizer, tokenized_dataset
from worker.training.types import (
    UNQUANTISED_EVAL_LOSS,
    AnswerSink,
    RunPaths,
    SplitData,
    TrainingResult,
    TrainingSink,
    TrainingStopped,
)


def train(
    config: TrainingConfig,
    data: SplitData,
    paths: RunPaths,
    sink: TrainingSink,
    *,
    extra_callbacks: Sequence[TrainerCallback] = (),
    save: bool = True,
) -> TrainingResult:
    """Fine-tune `paths.base_model_location` on `data.train`, report to `sink`, save the weights below
    `paths.output_dir`.

    Raises TrainingStopped when the loss watchdog stops the run. With `paths.resume_from`, continues from that
    checkpoint. See worker.training.callbacks for checkpoints, early stopping and the best model.
    `extra_callbacks` act after the run's own; `save=False` keeps the trained weights in memory only (a pre-flight).
    """
    tokenizer = AutoTokenizer.from_pretrained(paths.base_model_location)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # Tokenised before the model loads, so a template or length problem fails in seconds.
    splits = _tokenize_splits(config, data, paths.base_model_location, tokenizer, sink)
    config = splits.config
    # Method auto is resolved once, by the estimate against this device's memory: from here on the config names the
    # method chosen, so the quantisation and the trainer's arguments follow it.
    present = [split for split in (splits.train, splits.validation) if split is not None]
    choice = choose_hardware_here(
        config,
        paths.base_model_location,
        [len(ids) for split in present for ids in split["input_ids"]],
        [sum(mask) for split in present for mask in split["completion_mask"]],
        len(splits.validation) if splits.validation is not None else None,
    )
    if choice.reason is not None:
        sink.log(choice.reason)
    config = config.model_copy(update={"method": choice.hardware.method})
    hardware = hardware_for(config)
    bnb_config = quantization_config(config, hardware)
    for note in resolution_notes(config, hardware):
        sink.log(note, LogKind.WARNING)
    unquantised_eval_loss = paths.unquantised_base_eval_loss if paths.resume_from is not None else None
    if bnb_config is not None and splits.validation is not None and unquantised_eval_loss is None:
        # Before the quantised model loads, so memory holds one model at a time.
        unquantised_eval_loss = _evaluate_unquantised_base_model(config, hardware, paths, tokenizer, splits, sink)
        release_memory()
    model = _load_base_model(config, paths.base_model_location, hardware, bnb_config, sink)
    resumed_step = checkpoint_step_to_resume(paths.resume_from) if paths.resume_from is not None else 0
    callbacks = build_callbacks(config, sink, resumed_step)
    pinned = (
        pinned_examples(config, data, sink, tokenizer)
        if config.pinned_examples and splits.validation is not None and isinstance(sink, AnswerSink)
        else None
    )
    # The pinned answers first: the sink callback restarts its throughput clock after them.
    trainer = _build_trainer(
        config,
        hardware,
        model,
        tokenizer,
        splits,
        paths.output_dir,
        [*([pinned] if pinned is not None else []), *callbacks, *extra_callbacks],
    )
    trained_model = _trainable_model(trainer, sink)

    base_eval_loss = paths.base_eval_loss if paths.resume_from is not None else None
    if splits.validation is not None and base_eval_loss is None:
        base_eval_loss = _evaluate_base_model(trainer, trained_model, len(splits.validation), sink)

    if sink.cancel_requested():
        callbacks.sink.cancelled = True
    else:
        trainer.train(resume_from_checkpoint=str(paths.resume_from) if paths.resume_from is not None else None)
    step = trainer.state.global_step
    if callbacks.watchdog.reason is not None:
        raise TrainingStopped(callbacks.watchdog.reason, callbacks.watchdog.step)
    cancelled = callbacks.sink.cancelled

    weights_step, final_eval_loss = _final_weights(config, trainer, trained_model, callbacks, paths.output_dir, sink)
    if final_eval_loss is not None and base_eval_loss is not None and not cancelled:
        sink.log(f"final validation loss {final_eval_loss:.4f} (base model {base_eval_loss:.4f})")

    weights_kind: WeightsKind = "adapter" if isinstance(trained_model, PeftModel) else "model"
    weights_dir = None
    if save and not cancelled:
        weights_dir = _save_weights(trained_model, tokenizer, paths.output_dir / weights_kind, weights_kind, sink)

    best = callbacks.monitor.best
    return TrainingResult(
        cancelled=cancelled,
        weights_dir=weights_dir,
        device=hardware.device,
        quantization=_quantization_name(bnb_config),
        base_eval_loss=base_eval_loss,
        unquantised_base_eval_loss=unquantised_eval_loss,
        final_eval_loss=final_eval_loss,
        global_step=step,
        environment=environment(hardware.device),
        stop_reason=callbacks.monitor.stop_reason,
        best_step=best.step if best is not None else None,
        weights_step=None if cancelled else weights_step,
        weights_kind=weights_kind,
    )


@dataclass(frozen=True)
class TokenizedSplits:
    train: Dataset
    validation: Dataset | None  # None: no validation example survived, so validation loss is not measured
    config: TrainingConfig  # without evaluation when there is no validation split


def _tokenize_splits(
    config: TrainingConfig,
    data: SplitData,
    base_model_location: str,
    tokenizer: PreTrainedTokenizerBase,
    sink: TrainingSink,
) -> TokenizedSplits:
    training, validation = (
        plural(len(data.train), "training example"),
        plural(len(data.validation), "validation example"),
    )
    sink.log(f"tokenizing {training} and {validation}", LogKind.PROGRESS)
    loaded = load_training_tokenizer(base_model_location, tokenizer)
    train_dataset, truncated, skipped = tokenized_dataset(config, data.train, data.template_context, loaded)
    if truncated:
        sink.log(
            f"{plural(truncated, 'training example')} {'is' if truncated == 1 else 'are'} longer than "
            f"{config.max_seq_length} tokens: {'its end is' if truncated == 1 else 'their ends are'} cut",
            LogKind.WARNING,
        )
    if skipped:
        sink.log(
            f"{plural(skipped, 'training example')} skipped: their prompt fills all {config.max_seq_length} tokens, "
            "so no answer token would be trained on",
            LogKind.WARNING,
        )
    if len(train_dataset) == 0:
        raise ValueError(f"every training example's prompt is longer than max_seq_length ({config.max_seq_length})")
    eval_dataset, _, eval_skipped = tokenized_dataset(config, data.validation, data.template_context, loaded)
    if eval_skipped:
        sink.log(
            f"{plural(eval_skipped, 'validation example')} skipped: their prompt fills all {config.max_seq_length} tokens",
            LogKind.WARNING,
        )
    if len(eval_dataset) == 0:
        sink.log("no validation examples: validation loss will not be measured", LogKind.WARNING)
        config = config.model_copy(
            update={"eval_strategy": "no", "load_best_model_at_end": False, "early_stopping_patience": None}
        )
        return TokenizedSplits(train_dataset, None, config)
    if not config.evaluates:
        sink.log("eval_strategy is 'no': validation loss is measured before and after training only")
    return TokenizedSplits(train_dataset, eval_dataset, config)


def _load_base_model(
    config: TrainingConfig,
    base_model_location: str,
    hardware: Hardware,
    bnb_config: BitsAndBytesConfig | None,
    sink: TrainingSink,
) -> PreTrainedModel:
    method = _describe_method(hardware.method, _quantization_name(bnb_config))
    sink.log(f"loading base model {base_model_location} on {hardware.device} ({method})", LogKind.PROGRESS)
    model = AutoModelForCausalLM.from_pretrained(
        base_model_location,
        dtype=weights_dtype(hardware),
        quantization_config=bnb_config,
        # Quantised weights are placed at load time; otherwise the Trainer moves the model.
        device_map={"": 0 if hardware.device == "cuda" else "cpu"} if bnb_config is not None else None,
        # On CPU, packed rows attend example by example (worker.training.packed_attention); CUDA keeps SDPA.
        attn_implementation=PER_EXAMPLE_SDPA if hardware.device == "cpu" else None,
    )
    if hardware.method == "full" and model.num_parameters() > FULL_FINE_TUNING_MAX_PARAMETERS:
        raise ValueError(
            f"full fine-tuning is limited to models of up to {FULL_FINE_TUNING_MAX_PARAMETERS / 1e9:.1f}B parameters "
            f"(this one has {model.num_parameters() / 1e9:.1f}B): use method lora or qlora"
        )
    return model


def _build_trainer(
    config: TrainingConfig,
    hardware: Hardware,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    splits: TokenizedSplits,
    output_dir: Path,
    callbacks: Sequence[TrainerCallback],
) -> SFTTrainer:
    score_kept_positions_only()
    linear_modules = linear_module_names(model) if config.layers_to_transform is not None else None
    sft_kwargs, lora_config, _ = build_trainer_configs(config, hardware.device, output_dir, linear_modules)
    trainer = SFTTrainer(
        model=model,
        args=SFTConfig(**sft_kwargs),
        train_dataset=splits.train,
        eval_dataset=splits.validation,
        processing_class=tokenizer,
        peft_config=lora_config,
        callbacks=list(callbacks),
    )
    # With tqdm disabled the Trainer prints every log dict to stdout; the sink already has them.
    trainer.remove_callback(PrinterCallback)
    return trainer


def _trainable_model(trainer: SFTTrainer, sink: TrainingSink) -> torch.nn.Module:
    """The model the trainer trains, its adapters in fp32, and how many parameters it trains."""
    trained_model = trainer.model
    assert isinstance(trained_model, torch.nn.Module)
    if isinstance(trained_model, PeftModel):
        # TRL casts QLoRA adapters to bf16; fp32 adapters under autocast update more precisely and cost little.
        for parameter in trained_model.parameters():
            if parameter.requires_grad:
                parameter.data = parameter.data.float()
        trainable, total = trained_model.get_nb_trainable_parameters()
        sink.log(f"{trainable:,} trainable adapter parameters ({100 * trainable / total:.2f}% of {total:,})")
    else:
        total = sum(parameter.numel() for parameter in trained_model.parameters())
        sink.log(f"{total:,} trainable parameters (every weight of the model)")
    return trained_model


def _evaluate_base_model(
    trainer: SFTTrainer, trained_model: torch.nn.Module, validation_examples: int, sink: TrainingSink
) -> float:
    sink.log(f"evaluating the base model on {plural(validation_examples, 'validation example')}", LogKind.PROGRESS)
    # Adapters off, so step 0 of the curve is exactly the base model the user started from. (Full fine-tuning has
    # not changed a weight yet.) Resuming, the sink callback does not send this step-0 evaluation again.
    with trained_model.disable_adapter() if isinstance(trained_model, PeftModel) else nullcontext():
        base_eval_loss = float(trainer.evaluate()["eval_loss"])
    sink.log(f"base model validation loss {base_eval_loss:.4f}")
    return base_eval_loss


def _evaluate_unquantised_base_model(
    config: TrainingConfig,
    hardware: Hardware,
    paths: RunPaths,
    tokenizer: PreTrainedTokenizerBase,
    splits: "TokenizedSplits",
    sink: TrainingSink,
) -> float | None:
    """The validation loss of the base model as the user has it, unquantised, sent as metric UNQUANTISED_EVAL_LOSS
    at step 0. With QLoRA (or LoRA over 8-bit weights) step 0 of the curve is the re-quantised model's, which can be
    far from it: 1.27 against 1.03 for the bundled model on an H200. Measured by the same trainer evaluation as step 0
    (same batches, collator and loss); None when the unquantised model does not fit in memory."""
    sink.log("evaluating the unquantised base model, the one training is compared with", LogKind.PROGRESS)
    model = AutoModelForCausalLM.from_pretrained(paths.base_model_location, dtype=weights_dtype(hardware))
    try:
        trainer = _build_trainer(config, hardware, model, tokenizer, splits, paths.output_dir, [])
        evaluated = trainer.model
        # The trainer wraps the model with fresh adapters: off, so this is the base model alone.
        with evaluated.disable_adapter() if isinstance(evaluated, PeftModel) else nullcontext():
            loss = float(trainer.evaluate()["eval_loss"])
    except RuntimeError as exc:  # torch.OutOfMemoryError is one
        if not is_out_of_memory(exc):
            raise
        sink.log(
            "the unquantised base model does not fit in memory: the comparison uses the quantised one's loss",
            LogKind.WARNING,
        )
        return None
    sink.metrics(0, None, {UNQUANTISED_EVAL_LOSS: loss})
    sink.log(f"unquantised base model validation loss {loss:.4f}")
    return loss


def _final_weights(
    config: TrainingConfig,
    trainer: SFTTrainer,
    trained_model: torch.nn.Module,
    callbacks: "Callbacks",
    output_dir: Path,
    sink: TrainingSink,
) -> tuple[int, float | None]:
    """The step whose weights the run keeps (the best one's, restored, when the config keeps the best) and their
    validation loss."""
    step = trainer.state.global_step
    evaluated = callbacks.sink.eval_losses
    best = callbacks.monitor.best
    if callbacks.sink.cancelled:
        sink.log(f"cancelled at step {step}", LogKind.STOPPED)
        trained_evals = [s for s in evaluated if s > 0]
        return step, evaluated[max(trained_evals)] if trained_evals else None
    if config.keeps_best and best is not None and best.step != step:
        best_dir = checkpoint_dir(output_dir, best.step)
        if best_dir.is_dir():
            _restore_weights(trained_model, best_dir)
            sink.log(
                f"restored the weights of step {best.step}, the best validation loss ({best.eval_loss:.4f}); "
                f"training went on to step {step}"
            )
            return best.step, best.eval_loss
        sink.log(
            f"the best checkpoint ({best_dir.name}) is missing: keeping the weights of step {step}", LogKind.WARNING
        )
    if trainer.eval_dataset is None:
        return step, None
    if step not in evaluated:
        trainer.evaluate()
    return step, evaluated.get(step)  # None when that evaluation was NaN/inf


def _save_weights(
    trained_model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    weights_dir: Path,
    weights_kind: WeightsKind,
    sink: TrainingSink,
) -> Path:
    assert isinstance(trained_model, PeftModel | PreTrainedModel)
    trained_model.save_pretrained(str(weights_dir))
    tokenizer.save_pretrained(weights_dir)
    sink.log(f"saved {'adapter' if weights_kind == 'adapter' else 'fine-tuned model'} to {weights_dir}")
    return weights_dir


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
        flow=TrainingFlow(sink, config),
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


def checkpoint_step_to_resume(checkpoint: Path) -> int:
    """N of a Trainer checkpoint directory named checkpoint-N that can be resumed from."""
    step = checkpoint_step(checkpoint)
    if step is None:
        raise ValueError(f"{checkpoint} is not a Trainer checkpoint directory (checkpoint-<step>)")
    if not (checkpoint / "trainer_state.json").is_file():
        raise ValueError(f"{checkpoint} has no trainer_state.json: it cannot be resumed from")
    return step
