"""A whole default run on CPU: the studio's defaults against a plain TRL script with TRL's defaults, and against the
studio's previous defaults and code paths (fp32, padded batches, LoRA dropout 0.05, the LM head scoring every
position): wall time and final validation loss on the same rows and epochs.

Each run is a fresh process; the sides alternate, repeated, so neither inherits the other's memory or warm caches,
and a slow spell on a shared machine hits them alike. The wall time covers what each side does to produce its
trained model and its final validation loss: model load, tokenizing, training, and the validation passes it makes
(the studio measures the base model first and validates about 20 times along the way; TRL's defaults validate
only when asked, once at the end). With --answers each trained model then answers the test rows greedily
(not timed) and the answers are scored with ROUGE-L: the quality guard beside the validation loss.

With --rows 1100 the rows are the seed chapter's size and spread of lengths (ch07-like, 935 of them trained on).

Usage: python -m bench.cpu_training [--repeats 2] [--epochs 2] [--rows N] [--answers]
[--sides studio,studio-before,trl]
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

SIDES = ("trl", "studio-before", "studio")
# What the studio's defaults were before bf16 on CPU, padding-free batches and no LoRA dropout.
BEFORE = {"precision": "fp32", "padding_free": False, "lora_dropout": 0.05}
LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "target_modules": "all-linear"}


def split_rows(count: int | None) -> tuple[list[Any], list[Any], list[Any]]:
    """None: the 120 Alpaca-like rows, 96 train, 12 validation, 12 test (the studio's 80/10/10). A count: that many
    ch07-like rows of 40-256 tokens split as the seed chapter's (85/10/5: 935, 110 and 55 of 1,100)."""
    from bench.gpu_training import ch07_like_rows
    from bench.train_defaults import alpaca_like_rows
    from domain.records import AlpacaRecord

    if count is None:
        rows = alpaca_like_rows()
        return rows[:96], rows[96:108], rows[108:]
    records = [AlpacaRecord.model_validate(row) for row in ch07_like_rows(count)]
    train, validation = count * 85 // 100, count // 10
    return records[:train], records[train : train + validation], records[train + validation :]


class QuietSink:
    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        pass

    def log(self, message: str, kind: str = "info") -> None:
        pass

    def cancel_requested(self) -> bool:
        return False


def use_previous_code_paths() -> None:
    """In this process, the studio's CPU steps as they were: TRL's fused head scoring every position, and SDPA's one
    masked square over a packed row."""
    from worker.training import sft

    sft.score_kept_positions_only = lambda: None  # type: ignore[assignment]
    sft.PER_EXAMPLE_SDPA = "sdpa"  # type: ignore[misc]


def run_studio(
    side: str, base_model: str, rows: int | None, epochs: float, output: Path, seed: int, overrides: dict[str, Any]
) -> tuple[float, float, Path]:
    """(wall seconds, final validation loss, weights directory) of train() with the studio's defaults, `overrides`
    changed (studio-before: the previous defaults and code paths)."""
    from domain.config import TrainingConfig
    from worker.training.hardware import use_cpu_threads
    from worker.training.sft import train
    from worker.training.types import RunPaths, SplitData

    use_cpu_threads()
    if side == "studio-before":
        use_previous_code_paths()
    train_rows, validation, test = split_rows(rows)
    changed = BEFORE if side == "studio-before" else overrides
    config = TrainingConfig.model_validate({"num_train_epochs": epochs, "seed": seed, **changed})
    start = time.monotonic()
    result = train(config, SplitData(train_rows, validation, test), RunPaths(base_model, output), QuietSink())
    wall = time.monotonic() - start
    assert result.final_eval_loss is not None and result.weights_dir is not None
    return wall, result.final_eval_loss, result.weights_dir


def plain_trl(
    base_model: str, train_rows: list[Any], validation: list[Any], epochs: float, output: Path, seed: int = 42
) -> tuple[float, float, Any]:
    """The plain script a TRL user writes: prompt/completion rows, a LoraConfig, everything else TRL's defaults
    (bf16 autocast, activation checkpointing, padded batches), and one evaluation at the end. (wall seconds, final
    validation loss, the trainer)."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    from domain.templates import render

    def dataset(rows: list[Any]) -> Dataset:
        rendered = [render("alpaca", row) for row in rows]
        return Dataset.from_list([{"prompt": r.prompt, "completion": r.text[len(r.prompt) :]} for r in rendered])

    start = time.monotonic()
    trainer = SFTTrainer(
        model=base_model,
        args=SFTConfig(
            output_dir=str(output / "trainer"),
            num_train_epochs=epochs,
            seed=seed,
            save_strategy="no",
            report_to="none",
            disable_tqdm=True,
            use_cpu=not torch.cuda.is_available(),
        ),
        train_dataset=dataset(train_rows),
        eval_dataset=dataset(validation),
        peft_config=LoraConfig(task_type="CAUSAL_LM", **LORA),  # type: ignore[arg-type]
    )
    trainer.train()
    eval_loss = float(trainer.evaluate()["eval_loss"])
    return time.monotonic() - start, eval_loss, trainer


def test_rouge_l(base_model: str, rows: int | None, weights_dir: Path) -> float:
    """Mean ROUGE-L of the trained model's greedy answers to the test rows."""
    from domain.records import final_answer
    from domain.scoring.metrics import rouge_l
    from domain.templates import render
    from worker.training.generate import generate_answers

    _, _, test = split_rows(rows)
    prompts = [render("alpaca", row).prompt for row in test]
    tuned, _ = generate_answers(base_model, weights_dir, prompts, 64)
    return statistics.mean(rouge_l(a, final_answer(row)) for a, row in zip(tuned, test, strict=True))


def one(
    side: str, base_model: str, rows: int | None, epochs: float, answers: bool, seed: int, overrides: dict[str, Any]
) -> dict[str, float]:
    import torch

    output = Path(tempfile.mkdtemp(prefix=f"bench-cpu-{side}-"))
    if side == "trl":
        train_rows, validation, _ = split_rows(rows)
        wall, eval_loss, trainer = plain_trl(base_model, train_rows, validation, epochs, output, seed)
        weights = output / "adapter"
        trainer.save_model(str(weights))
    else:
        wall, eval_loss, weights = run_studio(side, base_model, rows, epochs, output, seed, overrides)
    figures = {"wall_s": wall, "eval_loss": eval_loss, "threads": float(torch.get_num_threads())}
    if answers:
        figures["rouge_l"] = test_rouge_l(base_model, rows, weights)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models-dir", type=Path, default=Path(".studio/models"))
    parser.add_argument("--base-model", default=None, help="a model directory (default: the bundled model)")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--rows", type=int, default=None, help="ch07-like rows instead of the 120 Alpaca-like ones")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--answers", action="store_true", help="score the test rows' answers (ROUGE-L)")
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument("--seed", type=int, default=42, help="every side's seed: another one shows the loss's spread")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=JSON", help="a studio hyperparameter")
    parser.add_argument("--one", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    overrides = {name: json.loads(value) for name, value in (item.split("=", 1) for item in args.set)}

    if args.one:
        figures = one(args.one, args.base_model, args.rows, args.epochs, args.answers, args.seed, overrides)
        print(json.dumps(figures))
        return

    from worker.training.base_models import materialize_bundled_model
    from worker.training.hardware import cpu_computes_bf16

    base_model = args.base_model or str(materialize_bundled_model(args.models_dir))
    sides = args.sides.split(",")
    results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for repeat in range(args.repeats):
        for side in sides:
            command = [sys.executable, "-m", "bench.cpu_training", "--one", side, "--base-model", base_model]
            command += ["--epochs", str(args.epochs)] + (["--answers"] if args.answers else [])
            command += ["--rows", str(args.rows)] if args.rows is not None else []
            command += [f"--set={item}" for item in args.set] + ["--seed", str(args.seed)]
            done = subprocess.run(
                command, capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1]
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            results[side].append(figures)
            quality = f", test ROUGE-L {figures['rouge_l']:.3f}" if "rouge_l" in figures else ""
            print(
                f"repeat {repeat + 1} {side:13s}: {figures['wall_s']:6.1f} s, validation loss "
                f"{figures['eval_loss']:.4f}{quality} ({figures['threads']:.0f} threads)",
                flush=True,
            )

    train_rows = len(split_rows(args.rows)[0])
    print(f"\n== whole run, {args.epochs:g} epochs of {train_rows} rows, best of {args.repeats} (median) ==")
    print(f"CPU multiplies bf16 natively: {cpu_computes_bf16()}")
    best = {side: min(f["wall_s"] for f in results[side]) for side in sides}
    for side in sides:
        walls = [f["wall_s"] for f in results[side]]
        losses = [f["eval_loss"] for f in results[side]]
        line = f"{side:13s}: {best[side]:6.1f} s ({statistics.median(walls):.1f}), validation loss "
        line += f"{statistics.median(losses):.4f}"
        if args.answers:
            line += f", test ROUGE-L {statistics.median(f['rouge_l'] for f in results[side]):.3f}"
        print(line)
    if "studio" in best:
        for other in (side for side in sides if side != "studio"):
            print(f"studio is {best[other] / best['studio']:.2f}x faster than {other}")


if __name__ == "__main__":
    main()
