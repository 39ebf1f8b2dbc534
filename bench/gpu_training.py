"""Training speed on a GPU: the studio's defaults against a plain TRL script with TRL's defaults, on a 1.1B
Llama-shaped model: epoch time, tokens/s, model FLOPs utilisation and final validation loss.

No weights can reach the GPU machine, so the model is built from a config with random weights (throughput, memory and
every code path are real; the loss values only compare the two sides with each other). The rows are ch07-like:
1,100 instruction rows of 40-256 tokens, 10% for validation. Each side runs in a fresh process, alternating, repeated.
MFU counts 4 FLOPs per parameter and trained token (forward 2, backward to the activations 2: frozen weights get no
gradient; the adapters' own FLOPs are under 1%), against the chip's dense bf16 peak (--peak-tflops).

Usage (see docs/gpu.md): python -m bench.gpu_training --tokenizer DIR [--model 1.1b|bundled|tiny] [--repeats 2]
`--model tiny` runs the same code on CPU in a minute, to check the script itself.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SIDES = ("trl", "studio")
# Llama-shaped configs (TinyLlama-1.1B's shape; the bundled SmolLM2-135M's); the vocabulary is the tokenizer's.
SHAPES: dict[str, dict[str, Any]] = {
    "1.1b": {
        "hidden_size": 2048,
        "intermediate_size": 5632,
        "num_hidden_layers": 22,
        "num_attention_heads": 32,
        "num_key_value_heads": 4,
    },
    "bundled": {
        "hidden_size": 576,
        "intermediate_size": 1536,
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
    },
    "tiny": {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
    },
}
WORDS = [
    "the",
    "a",
    "model",
    "answer",
    "question",
    "data",
    "train",
    "river",
    "city",
    "number",
    "list",
    "give",
    "explain",
    "short",
    "long",
    "why",
    "how",
]


def ch07_like_rows(count: int) -> list[dict[str, str]]:
    """Alpaca rows whose rendered length spreads over 40-256 tokens, as the seed chapter's data does."""
    rng = random.Random(0)

    def text(low: int, high: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))

    return [
        {"instruction": text(4, 20), "input": text(0, 60) if rng.random() < 0.4 else "", "output": text(5, 150)}
        for _ in range(count)
    ]


def build_model(shape: str, tokenizer_dir: Path, output: Path) -> Path:
    """A random-weight Llama of `shape` with the tokenizer of `tokenizer_dir`, saved in bf16 under `output`."""
    import shutil

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LlamaConfig(
        **SHAPES[shape], vocab_size=len(tokenizer), max_position_embeddings=2048, tie_word_embeddings=shape != "1.1b"
    )
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).save_pretrained(output)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        if (tokenizer_dir / name).is_file():
            shutil.copy(tokenizer_dir / name, output / name)
    return output


def split(rows: list[dict[str, str]]) -> tuple[list[Any], list[Any]]:
    from domain.records import AlpacaRecord

    records = [AlpacaRecord.model_validate(row) for row in rows]
    validation = len(records) // 10
    return records[validation:], records[:validation]


def run_studio(model: str, rows: list[dict[str, str]], epochs: float) -> dict[str, float]:
    from bench.cpu_training import QuietSink
    from domain.config import TrainingConfig
    from worker.training.sft import train
    from worker.training.types import RunPaths, SplitData

    train_rows, validation = split(rows)
    config = TrainingConfig.model_validate({"num_train_epochs": epochs})
    output = Path(tempfile.mkdtemp(prefix="bench-gpu-studio-"))
    start = time.monotonic()
    result = train(config, SplitData(train_rows, validation, []), RunPaths(model, output), QuietSink(), save=False)
    return {"wall_s": time.monotonic() - start, "eval_loss": result.final_eval_loss or float("nan")}


def run_trl(model: str, rows: list[dict[str, str]], epochs: float) -> dict[str, float]:
    from bench.cpu_training import plain_trl

    train_rows, validation = split(rows)
    wall, eval_loss, _ = plain_trl(model, train_rows, validation, epochs, Path(tempfile.mkdtemp(prefix="bench-gpu-")))
    return {"wall_s": wall, "eval_loss": eval_loss}


def trained_tokens(model: str, rows: list[dict[str, str]], epochs: float) -> int:
    """Tokens (prompt and answer) the training split feeds through the model over the run."""
    from transformers import AutoTokenizer

    from domain.templates import render

    tokenizer = AutoTokenizer.from_pretrained(model)
    train_rows, _ = split(rows)
    lengths = [len(tokenizer(render("alpaca", record).text)["input_ids"]) + 1 for record in train_rows]
    return int(sum(min(length, 256) for length in lengths) * epochs)


def parameters(model: str) -> int:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    with torch.device("meta"):
        meta = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model))
    return sum(p.numel() for p in meta.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokenizer", type=Path, default=Path(".studio/models/smollm2-135m-instruct"))
    parser.add_argument("--model", choices=sorted(SHAPES), default="1.1b")
    parser.add_argument("--rows", type=int, default=1100)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="dense bf16 peak (H200 SXM: 989)")
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument("--one", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = ch07_like_rows(args.rows)

    if args.one:
        run = run_studio if args.one == "studio" else run_trl
        print(json.dumps(run(args.model_dir, rows, args.epochs)))
        return

    import torch

    model_dir = str(build_model(args.model, args.tokenizer, Path(tempfile.mkdtemp(prefix="bench-gpu-model-"))))
    tokens, n_parameters = trained_tokens(model_dir, rows, args.epochs), parameters(model_dir)
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
    print(f"{device}: {args.model} model, {n_parameters / 1e9:.2f}B parameters, {tokens:,} trained tokens", flush=True)
    sides = args.sides.split(",")
    results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for repeat in range(args.repeats):
        for side in sides:
            command = [sys.executable, "-m", "bench.gpu_training", "--one", side, "--model-dir", model_dir]
            command += ["--rows", str(args.rows), "--epochs", str(args.epochs)]
            done = subprocess.run(
                command, capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1]
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            figures["tokens_per_s"] = tokens / figures["wall_s"]
            figures["mfu"] = 4 * n_parameters * figures["tokens_per_s"] / (args.peak_tflops * 1e12)
            results[side].append(figures)
            print(
                f"repeat {repeat + 1} {side:6s}: {figures['wall_s']:7.1f} s, {figures['tokens_per_s']:8.0f} tokens/s, "
                f"MFU {figures['mfu']:.1%}, validation loss {figures['eval_loss']:.4f}",
                flush=True,
            )
    best = {side: min(results[side], key=lambda f: f["wall_s"]) for side in sides}
    print(f"\n== {args.epochs:g} epoch(s), best of {args.repeats}, whole run (load, train, validation) ==")
    for side in sides:
        losses = statistics.median(f["eval_loss"] for f in results[side])
        print(
            f"{side:6s}: {best[side]['wall_s']:.1f} s, {best[side]['tokens_per_s']:.0f} tokens/s, "
            f"MFU {best[side]['mfu']:.1%}, validation loss {losses:.4f}"
        )
    if "trl" in best and "studio" in best:
        print(f"studio is {best['trl']['wall_s'] / best['studio']['wall_s']:.2f}x faster than plain TRL")


if __name__ == "__main__":
    main()
