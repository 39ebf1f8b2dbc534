"""Training throughput of the studio against a plain TRL SFTTrainer script: same model, rows and settings.

The studio must be at least as fast (tokens/s ratio >= 1.0). Each measurement runs in a fresh process, studio and
TRL alternating, so neither inherits the other's memory or warm caches; steps after a warm-up are timed.
Tokens are the non-padding tokens TRL counts (its `num_tokens`), which is also what the studio's
tokens_per_second metric divides. On a shared machine other processes slow some repeats down: the ratio is taken
from each side's best repeat (the least disturbed), and per CPU-second of the process as a cross-check.

Usage: python -m bench.trl_baseline [--models-dir .studio/models] [--steps 15] [--warmup 5] [--repeats 2]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The settings both sides train with: the studio's defaults (TrainingConfig), written out for the TRL script.
BATCH_SIZE = 8
MAX_LENGTH = 256
LEARNING_RATE = 2e-4
LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "target_modules": "all-linear"}


def studio_config(max_steps: int) -> dict[str, Any]:
    return {
        "max_steps": max_steps,
        "per_device_train_batch_size": BATCH_SIZE,
        "max_seq_length": MAX_LENGTH,
        "learning_rate": LEARNING_RATE,
        "lora_r": LORA["r"],
        "lora_alpha": LORA["lora_alpha"],
        "lora_dropout": LORA["lora_dropout"],
        "lora_target_modules": LORA["target_modules"],
        "lr_scheduler_type": "cosine",
        "warmup_ratio": 0.03,
        "weight_decay": 0.01,
        "optim": "adamw_torch",
        "max_grad_norm": 1.0,
        "gradient_checkpointing": False,
        "completion_only_loss": True,
        "logging_steps": 1,
        "seed": 42,
    }


Point = tuple[float, float, float]  # at the end of a step: wall clock, process CPU time, cumulative tokens


def point(tokens: float) -> Point:
    return time.monotonic(), time.process_time(), tokens


def window(points: list[Point], warmup: int) -> dict[str, float]:
    """Throughput over the steps after `warmup`."""
    start_time, start_cpu, start_tokens = points[warmup - 1]
    end_time, end_cpu, end_tokens = points[-1]
    steps = len(points) - warmup
    tokens = end_tokens - start_tokens
    return {
        "tokens_per_second": tokens / (end_time - start_time),
        "tokens_per_cpu_second": tokens / (end_cpu - start_cpu),
        "seconds_per_step": (end_time - start_time) / steps,
        "tokens_per_step": tokens / steps,
        "steps": steps,
    }


def run_trl(base_model: str, max_steps: int, warmup: int) -> dict[str, float]:
    """The plain script: what a TRL user writes for LoRA SFT with completion-only loss on prompt/completion rows."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from bench.train_defaults import alpaca_like_rows
    from domain.templates import render

    points: list[Point] = []

    class Clock(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **_: Any) -> None:
            if logs and "loss" in logs and "num_tokens" in logs:
                points.append(point(float(logs["num_tokens"])))

    rendered = [render("alpaca", row) for row in alpaca_like_rows()]
    dataset = Dataset.from_list([{"prompt": r.prompt, "completion": r.text[len(r.prompt) :]} for r in rendered])
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    model = AutoModelForCausalLM.from_pretrained(base_model, dtype=torch.float32)
    args = SFTConfig(
        output_dir=tempfile.mkdtemp(prefix="trl-baseline-"),
        max_steps=max_steps,
        per_device_train_batch_size=BATCH_SIZE,
        learning_rate=LEARNING_RATE,
        lr_scheduler_type="cosine",
        warmup_steps=0.03,
        weight_decay=0.01,
        optim="adamw_torch",
        max_grad_norm=1.0,
        max_length=MAX_LENGTH,
        completion_only_loss=True,
        # TRL's defaults differ from the studio's here: checkpointing on, bf16 autocast even on CPU.
        activation_checkpointing=False,
        bf16=False,
        use_cpu=True,
        logging_steps=1,
        seed=42,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=LoraConfig(task_type="CAUSAL_LM", bias="none", **LORA),  # type: ignore[arg-type]
        callbacks=[Clock()],
    )
    trainer.train()
    return window(points, warmup)


class ClockSink:
    """TrainingSink recording when each step's metrics arrive and the tokens they stand for."""

    def __init__(self) -> None:
        self.points: list[Point] = []
        self._last = time.monotonic()

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        if "tokens_per_second" not in values:
            return
        now = time.monotonic()
        # The callback divides the step's tokens by the time since its previous log, measured microseconds before
        # this call: multiplying back gives the step's tokens.
        tokens = values["tokens_per_second"] * (now - self._last)
        self.points.append(point((self.points[-1][2] if self.points else 0.0) + tokens))
        self._last = now

    # kind: str, as LogKind is one; importing it here would load the studio's modules in the TRL-only process.
    def log(self, message: str, kind: str = "info") -> None:
        if message.startswith("training "):
            self._last = time.monotonic()

    def cancel_requested(self) -> bool:
        return False


def run_studio(base_model: str, max_steps: int, warmup: int) -> dict[str, float]:
    from bench.train_defaults import alpaca_like_rows
    from domain.config import TrainingConfig
    from worker.training.sft import train
    from worker.training.types import RunPaths, SplitData

    sink = ClockSink()
    data = SplitData(train=alpaca_like_rows(), validation=[], test=[])
    config = TrainingConfig.model_validate(studio_config(max_steps))
    paths = RunPaths(base_model_location=base_model, output_dir=Path(tempfile.mkdtemp(prefix="studio-baseline-")))
    train(config, data, paths, sink)
    return window(sink.points, warmup)


def measure(side: str, base_model: str, max_steps: int, warmup: int) -> dict[str, float]:
    """One side in a fresh process; its figures come back as the last line of its output."""
    command = [sys.executable, "-m", "bench.trl_baseline", "--one", side, "--base-model", base_model]
    command += ["--steps", str(max_steps - warmup), "--warmup", str(warmup)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models-dir", type=Path, default=Path(".studio/models"))
    parser.add_argument("--base-model", default=None, help="a model directory (default: the bundled model)")
    parser.add_argument("--steps", type=int, default=15, help="timed steps, after the warm-up")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--one", choices=["studio", "trl"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    max_steps = args.warmup + args.steps

    if args.one:
        import torch

        run = run_studio if args.one == "studio" else run_trl
        figures = run(args.base_model, max_steps, args.warmup)
        print(json.dumps({**figures, "threads": torch.get_num_threads()}))
        return

    from worker.training.base_models import materialize_bundled_model

    base_model = args.base_model or str(materialize_bundled_model(args.models_dir))
    results: dict[str, list[dict[str, float]]] = {"trl": [], "studio": []}
    for repeat in range(args.repeats):
        for side in ("trl", "studio"):
            figures = measure(side, base_model, max_steps, args.warmup)
            results[side].append(figures)
            print(
                f"repeat {repeat + 1} {side:6s}: {figures['tokens_per_second']:6.1f} tokens/s, "
                f"{figures['tokens_per_cpu_second']:6.1f} tokens/CPU-s, {figures['seconds_per_step']:.2f} s/step, "
                f"{figures['tokens_per_step']:.0f} tokens/step ({figures['threads']:.0f} threads)",
                flush=True,
            )

    def summary(side: str, key: str) -> tuple[float, float]:
        values = [f[key] for f in results[side]]
        return max(values), statistics.median(values)

    trl_best, trl_median = summary("trl", "tokens_per_second")
    studio_best, studio_median = summary("studio", "tokens_per_second")
    trl_cpu = summary("trl", "tokens_per_cpu_second")[1]
    studio_cpu = summary("studio", "tokens_per_cpu_second")[1]
    print(f"\n== throughput, {args.steps} steps after {args.warmup} warm-up, {args.repeats} repeats ==")
    print(f"batch {BATCH_SIZE}, max length {MAX_LENGTH}, LoRA r{LORA['r']} all-linear, fp32 on CPU, 120 Alpaca rows")
    print(f"plain TRL SFTTrainer: best {trl_best:.1f} tokens/s, median {trl_median:.1f}, {trl_cpu:.1f} per CPU-s")
    print(
        f"studio train():       best {studio_best:.1f} tokens/s, median {studio_median:.1f}, {studio_cpu:.1f} per CPU-s"
    )
    print(f"ratio studio / TRL:   {studio_best / trl_best:.3f} (best), {studio_cpu / trl_cpu:.3f} (per CPU-second)")


if __name__ == "__main__":
    main()
