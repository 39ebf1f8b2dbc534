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

The weights are in the dtype evaluations answer with (bf16 on a CPU that multiplies bf16 natively, else float32);
--dtype float32 measures the float32 path, and --quality answers the 120 reference rows in both dtypes and scores
them with ROUGE-L against the expected answers.

Usage: python -m bench.generation [--max-new-tokens 64] [--repeats 3] [--threads N] [--dtype float32|bfloat16]
       python -m bench.generation --quality
"""

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import torch
from rouge_score.rouge_scorer import RougeScorer
from transformers import GenerationConfig, PreTrainedTokenizerBase

from backend.core.config import get_settings
from bench.train_defaults import alpaca_like_rows
from domain.templates import TemplateContext, render
from worker.training.base_models import materialize_bundled_model
from worker.training.generate import answer, batch_size_for, decode_answer, load_model, load_tokenizer
from worker.training.hardware import model_dtype

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
    parser.add_argument(
        "--dtype", choices=["float32", "bfloat16"], default=str(model_dtype("cpu")).removeprefix("torch.")
    )
    parser.add_argument("--quality", action="store_true", help="ROUGE-L of float32 and bf16 answers, and their speed")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    new_tokens = args.max_new_tokens
    base_model = str(materialize_bundled_model(get_settings().models_dir))
    rows = alpaca_like_rows()
    prompts = [render("alpaca", row, TemplateContext()).prompt for row in rows]
    tokenizer = load_tokenizer(base_model, None)
    if args.quality:
        _quality(base_model, tokenizer, prompts, [row.output for row in rows], new_tokens)
        return
    model = load_model(base_model, "cpu", getattr(torch, args.dtype))
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
    print(
        f"bundled model in {args.dtype}, greedy, max_new_tokens {new_tokens}, {threads} threads, {args.repeats} rounds"
    )
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
    same = sum(a == b for a, b in zip(answers["one by one"], answers["batched"], strict=True))
    print(
        f"batched answers identical to one-by-one: {same} of {BATCHED} (float32: all; 16-bit: rounding follows the batch)"
    )
    longest = max(len(ids) for ids in tokenizer(prompts)["input_ids"])
    chosen = batch_size_for(model, longest, new_tokens)
    split, _, split_answers = _timed(lambda: answer(model, tokenizer, prompts, new_tokens))
    words = sum(len(a.split()) for a in split_answers)
    print(
        f"test split   {TEST_SPLIT} prompts {split:6.1f} s at batch size {chosen} (from memory), {words} words answered"
    )


def _quality(
    base_model: str, tokenizer: PreTrainedTokenizerBase, prompts: list[str], expected: list[str], new_tokens: int
) -> None:
    """Every reference row answered in float32 and in bf16 at the batch size from memory: time and ROUGE-L."""
    scorer = RougeScorer(["rougeL"])
    answers: dict[str, list[str]] = {}
    for dtype in (torch.float32, torch.bfloat16):
        model = load_model(base_model, "cpu", dtype)
        answer(model, tokenizer, prompts[:2], new_tokens)  # warm
        elapsed, cpu, answers[str(dtype)] = _timed(partial(answer, model, tokenizer, prompts, new_tokens))
        rouge = statistics.mean(
            scorer.score(reference, answered)["rougeL"].fmeasure
            for reference, answered in zip(expected, answers[str(dtype)], strict=True)
        )
        print(f"{dtype!s:15} {len(prompts)} prompts {elapsed:6.1f} s ({cpu:.1f} CPU s), ROUGE-L {rouge:.4f}")
    same = sum(a == b for a, b in zip(*answers.values(), strict=True))
    print(f"identical answers in both dtypes: {same} of {len(prompts)}")


if __name__ == "__main__":
    main()
