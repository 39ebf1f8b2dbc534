"""Batched against one-by-one answers on the bundled model, and the time to answer a test split of 110 prompts.

What an evaluation does: greedy answers to prompts rendered with the Alpaca template, through the same function
the evaluation task uses (worker.training.generate.answer_prompts: length-sorted batches, left padding, KV cache).
  one by one     16 prompts, batch size 1
  batched        the same 16 prompts, batch size 16 (must be at least 3.5x faster on CPU)
  test split     110 prompts at the evaluation's default batch size (8)
Each timing loads the model first, outside the clock.

Usage: python -m bench.generation [--max-new-tokens 64]
"""

import argparse
import time

from backend.core.config import get_settings
from bench.train_defaults import alpaca_like_rows
from domain.decoding import Decoding
from domain.templates import TemplateContext, render
from worker.training.base_models import materialize_bundled_model
from worker.training.generate import answer_prompts

BATCHED = 16
TEST_SPLIT = 110


def _timed(base_model: str, prompts: list[str], max_new_tokens: int, batch_size: int) -> tuple[float, list[str]]:
    answer_prompts(base_model, None, prompts[:1], Decoding(), max_new_tokens, batch_size=1)  # warm: load, first pass
    started = time.perf_counter()
    answers = answer_prompts(base_model, None, prompts, Decoding(), max_new_tokens, batch_size=batch_size)
    assert answers is not None
    return time.perf_counter() - started, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()
    base_model = str(materialize_bundled_model(get_settings().models_dir))
    rows = alpaca_like_rows()
    prompts = [render("alpaca", row, TemplateContext()).prompt for row in rows]
    prompts = (prompts * (TEST_SPLIT // len(prompts) + 1))[:TEST_SPLIT]

    one_by_one, _ = _timed(base_model, prompts[:BATCHED], args.max_new_tokens, 1)
    batched, _ = _timed(base_model, prompts[:BATCHED], args.max_new_tokens, BATCHED)
    split, answers = _timed(base_model, prompts, args.max_new_tokens, 8)
    print(f"bundled model, greedy, max_new_tokens {args.max_new_tokens}")
    print(f"one by one   {BATCHED} prompts  {one_by_one:7.1f} s  ({one_by_one / BATCHED:.2f} s each)")
    print(f"batched      {BATCHED} prompts  {batched:7.1f} s  ({one_by_one / batched:.1f}x faster)")
    print(f"test split   {TEST_SPLIT} prompts {split:7.1f} s  ({sum(len(a.split()) for a in answers)} words answered)")


if __name__ == "__main__":
    main()
