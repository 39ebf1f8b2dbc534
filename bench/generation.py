"""Batched against one-by-one answers on the bundled model, and the time to answer a test split of 110 prompts.

What an evaluation does: greedy answers to prompts rendered with the Alpaca template, through the function every
answer goes through (worker.training.generate.answer: batches by token length, left padding, KV cache, finished rows
dropped). The model is loaded once, outside the clock, and warmed up.
  one by one     16 prompts, batch size 1
  batched        the same 16 prompts, batch size 16 (must be at least 3.5x faster on CPU)
  generate()     the same 16 prompts in one model.generate() batch: what the studio did before (every row decoded
                 until the longest answer ends)
The three are interleaved and repeated, so a machine shared with other work slows each alike; medians are reported,
and the ratio of each round. Then the 110 prompts at the batch size chosen from memory, once.

Usage: python -m bench.generation [--max-new-tokens 64] [--repeats 3]
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


def _timed(run: Callable[[], list[str]]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    answers = run()
    return time.perf_counter() - started, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
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
    answers: dict[str, list[str]] = {}
    for round_ in range(args.repeats):
        for name, run in runs.items():
            elapsed, answers[name] = _timed(run)
            seconds[name].append(elapsed)
        one, batched = seconds["one by one"][-1], seconds["batched"][-1]
        print(f"round {round_ + 1}: one by one {one:.1f} s, batched {batched:.1f} s ({one / batched:.2f}x)", flush=True)

    median = {name: statistics.median(values) for name, values in seconds.items()}
    print(
        f"bundled model, greedy, max_new_tokens {new_tokens}, {torch.get_num_threads()} threads, {args.repeats} rounds"
    )
    print(f"one by one   {BATCHED} prompts  {median['one by one']:6.1f} s median")
    print(
        f"batched      {BATCHED} prompts  {median['batched']:6.1f} s median: {median['one by one'] / median['batched']:.2f}x faster"
    )
    print(
        f"generate()   {BATCHED} prompts  {median['generate()']:6.1f} s median: {median['one by one'] / median['generate()']:.2f}x faster"
    )
    same = answers["one by one"] == answers["batched"]
    print(f"batched answers identical to one-by-one: {same}")
    longest = max(len(ids) for ids in tokenizer(prompts)["input_ids"])
    chosen = batch_size_for(model, longest, new_tokens)
    split, split_answers = _timed(lambda: answer(model, tokenizer, prompts, new_tokens))
    words = sum(len(a.split()) for a in split_answers)
    print(
        f"test split   {TEST_SPLIT} prompts {split:6.1f} s at batch size {chosen} (from memory), {words} words answered"
    )


if __name__ == "__main__":
    main()
