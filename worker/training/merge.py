"""Merge a trained LoRA adapter into its base model: one plain model to serve without PEFT."""

import shutil
from pathlib import Path

from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from domain.log import LogKind
from worker.training.types import TrainingSink


def merge_adapter(base_model: str, adapter_dir: Path, merged_dir: Path, sink: TrainingSink) -> Path:
    """Save `base_model` with the adapter of `adapter_dir` folded into its weights (safetensors) and the run's
    tokenizer to `merged_dir`. Returns `merged_dir`."""
    sink.log("merging the adapter into the base model", LogKind.PROGRESS)
    # An earlier attempt's merge goes first: should this one fail, no stale model is left to download.
    shutil.rmtree(merged_dir, ignore_errors=True)
    # Unquantised, in the dtype the base model is stored in (dtype="auto"), even after QLoRA: folding the update into
    # 4-bit or 8-bit weights would round it onto the quantisation grid and lose much of it (PEFT warns it is lossy).
    # On the CPU: the merge is one addition per weight, and a QLoRA GPU may not hold the unquantised model at all.
    base = AutoModelForCausalLM.from_pretrained(base_model, dtype="auto", device_map="cpu")
    merged = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload()
    # Written beside the target and renamed into place, so merged/ is always complete, even when a worker dies midway.
    partial = merged_dir.with_name(f"{merged_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    merged.save_pretrained(partial)
    AutoTokenizer.from_pretrained(adapter_dir).save_pretrained(partial)
    partial.rename(merged_dir)
    sink.log(f"saved the merged model to {merged_dir}")
    return merged_dir
