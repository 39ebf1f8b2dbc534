"""What "answers during training" costs: seconds to answer the pinned validation examples at one evaluation step.

One evaluation's generation is what PinnedExamples does at each evaluation: 8 Alpaca-style prompts, one left-padded
batch, greedy, up to 64 new tokens, model in eval mode. Measured on the base model (the weights do not change the
cost, only when answers stop early does it shrink), the median of --repeats after one warm-up.
Usage: python -m bench.pinned_answers [--base-model DIR] [--models-dir .studio/models] [--repeats 3]
Without --base-model it uses the bundled SmolLM2-135M (converted once into --models-dir).
"""

import argparse
import os
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainingArguments

from bench.train_defaults import alpaca_like_rows
from domain.config import TrainingConfig
from domain.log import LogKind
from worker.training.base_models import materialize_bundled_model
from worker.training.pinned import pinned_examples
from worker.training.types import PinnedAnswer, SplitData


class _Sink:
    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        pass

    def log(self, message: str, kind: LogKind = LogKind.INFO) -> None:
        pass

    def cancel_requested(self) -> bool:
        return False

    def answers(self, step: int, items: Sequence[PinnedAnswer]) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-model", default=None)
    parser.add_argument("--models-dir", type=Path, default=Path(".studio/models"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    location = args.base_model or str(materialize_bundled_model(args.models_dir))

    tokenizer = AutoTokenizer.from_pretrained(location)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(location, dtype=torch.float32)
    rows = alpaca_like_rows()
    config = TrainingConfig(pinned_examples=8)
    callback = pinned_examples(config, SplitData(train=[], validation=rows[:8], test=[]), _Sink(), tokenizer)
    assert callback is not None
    training_args = TrainingArguments(output_dir="/tmp/bench-pinned", use_cpu=True, report_to="none")
    model.train()  # as during training: the callback switches to eval mode and back
    callback.answer(model, training_args)  # warm-up
    seconds = []
    for _ in range(args.repeats):
        started = time.monotonic()
        answers = callback.answer(model, training_args)
        seconds.append(time.monotonic() - started)
    tokens = [len(tokenizer(answer)["input_ids"]) for answer in answers]
    print(f"model: {location} on cpu ({torch.get_num_threads()} threads)")
    print(f"pinned examples: {len(answers)}, answer tokens: max {max(tokens)}, mean {statistics.fmean(tokens):.0f}")
    print(
        f"seconds per evaluation step: median {statistics.median(seconds):.2f} (runs {[round(s, 2) for s in seconds]})"
    )
    print(f"example answer: {answers[0]!r}")


if __name__ == "__main__":
    main()
