"""Batched against one-by-one answers on the bundled model, and the time to answer a test split of 110 prompts.

What an evaluation does: greedy answers to prompts rendered with the Alpaca template, through the function every
answer goes through (worker.training.generate.answer: batches by token length, a shared prefix computed once, left
padding, KV cache, finished rows dropped). The model is loaded once, outside the clock, and warmed up.
  one by one     16 prompts, batch size 1
  batched        the same 16 prompts, batch size 16 (must be at least 3.5x faster on CPU)
  generate()     the same 16 prompts in one model.generate() batch: what the studio did before (every row decoded
                 until the longest answer ends)
The three are interleaved and repeated, so a machine shared with other work slows each alike; medians are reported,
and the ratio of each round. Then the 110 prompts at the batch size chosen from memory, once.

On a machine shared with other work, torch's threads wait on each other whenever one is descheduled, and that waiting
counts as CPU time too: --threads 1 measures one core's work, whose CPU seconds are then what the work costs.

Usage: python -m bench.generation [--max-new-tokens 64] [--repeats 3] [--threads N]
"""

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from transformers import GenerationConfig

from backend.core.config import get_settings
from bench.train_defaults import alpaca_like_rows
from domain.templates import TemplateContext, render
from worker.training.base_models import materialize_bundled_model
from worker.training.generate import answer, batch_size_for, decode_answer, load_model, load_tokenizer

BATCHED = 16
TEST_SPLIT = 110


def _timed(run: Callable[[], list[str]]) -> tuple[float, float, list[str]]:
    """Wall seconds, CPU seconds of this process (all its threads) and the answers."""
    started, cpu = time.perf_counter(), time.process_time()
    answers = run()
    return time.perf_counter() - started, time.process_time() - cpu, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: one per core); 1 on a shared machine"
    )
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    new_tokens = args.max_new_tokens
    base_model = str(materialize_bundled_model(get_settings().models_dir))
    model, tokenizer = load_model(base_model, "cpu"), load_tokenizer(base_model, None)
    rows = alpaca_like_rows()
    prompts = [render("alpaca", row, TemplateContext()).prompt for row in rows]
    prompts = (prompts * (TEST_SPLIT // len(prompts) + 1))[:TEST_SPLIT]
    sixteen = prompts[:BATCHED]

    def generate_batch() -> list[str]:
        tokenizer.padding_side = "left"
        encoded = tokenizer(sixteen, return_tensors="pt", padding=True)
        config = GenerationConfig(
            max_new_tokens=new_tokens,
            do_sample=False,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        with torch.inference_mode():
            output = model.generate(**encoded, generation_config=config)  # type: ignore[operator]
        return [
            decode_answer(tokenizer, row, hit_limit=False)
            for row in output[:, encoded["input_ids"].shape[1] :].tolist()
        ]

    runs: dict[str, Callable[[], list[str]]] = {
        "one by one": lambda: answer(model, tokenizer, sixteen, new_tokens, max_batch_size=1),
        "batched": lambda: answer(model, tokenizer, sixteen, new_tokens, max_batch_size=BATCHED),
        "generate()": generate_batch,
    }
    answer(model, tokenizer, sixteen[:2], new_tokens)  # warm: first passes allocate
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    cpu_seconds: dict[str, list[float]] = {name: [] for name in runs}
    answers: dict[str, list[str]] = {}
    for round_ in range(args.repeats):
        for name, run in runs.items():
            elapsed, cpu, answers[name] = _timed(run)
            seconds[name].append(elapsed)
            cpu_seconds[name].append(cpu)
        times = ", ".join(f"{name} {seconds[name][-1]:.1f} s ({cpu_seconds[name][-1]:.1f} CPU s)" for name in runs)
        print(f"round {round_ + 1}: {times}", flush=True)

    threads = torch.get_num_threads()
    print(f"bundled model, greedy, max_new_tokens {new_tokens}, {threads} threads, {args.repeats} rounds")
    wall, one_cpu = seconds["one by one"], cpu_seconds["one by one"]
    print(f"{'one by one':12} {BATCHED} prompts: median {statistics.median(wall):.1f} s, best {min(wall):.1f} s")
    for name in ("batched", "generate()"):
        ratios = [one / other for one, other in zip(wall, seconds[name], strict=True)]
        cpu_ratio = statistics.median(one_cpu) / statistics.median(cpu_seconds[name])
        print(
            f"{name:12} {BATCHED} prompts: median {statistics.median(seconds[name]):.1f} s, best "
            f"{min(seconds[name]):.1f} s; against one by one: {statistics.median(ratios):.2f}x faster (median of "
            f"the rounds), {min(wall) / min(seconds[name]):.2f}x best against best, {cpu_ratio:.2f}x in CPU seconds"
        )
    same = answers["one by one"] == answers["batched"]
    print(f"batched answers identical to one-by-one: {same}")
    longest = max(len(ids) for ids in tokenizer(prompts)["input_ids"])
    chosen = batch_size_for(model, longest, new_tokens)
    split, _, split_answers = _timed(lambda: answer(model, tokenizer, prompts, new_tokens))
    words = sum(len(a.split()) for a in split_answers)
    print(
        f"test split   {TEST_SPLIT} prompts {split:6.1f} s at batch size {chosen} (from memory), {words} words answered"
    )


if __name__ == "__main__":
    main()
