"""Answers during training: a few validation examples answered greedily at every evaluation, to watch them change.

Cost: one batch of up to 8 prompts of PINNED_MAX_NEW_TOKENS greedy tokens per evaluation (measured in
bench/pinned_answers.py). Step 0 is included: the Trainer's evaluation of the base model (adapters off) fires the same
callback, and the base model's answers are what the others are read against.
"""

import time
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import torch
from transformers import (
    PreTrainedTokenizerBase,
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
)

from domain.config import TrainingConfig
from domain.log import LogKind
from domain.records import final_answer, final_question
from domain.templates import render_records
from worker.training.generate import answer
from worker.training.types import AnswerSink, PinnedAnswer, SplitData

PINNED_MAX_NEW_TOKENS = 64  # long enough to see an answer's shape, short enough to cost a second or so per evaluation


class PinnedExamples(TrainerCallback):
    """At every evaluation (the base model's at step 0 included), the pinned examples' greedy answers to the sink.

    Main process only, once per step. The model is put in eval mode for the generation (no dropout) and back in
    train mode after it if it was training.
    """

    def __init__(
        self,
        sink: AnswerSink,
        examples: Sequence[PinnedAnswer],
        prompts: Sequence[str],
        tokenizer: PreTrainedTokenizerBase,
        max_new_tokens: int = PINNED_MAX_NEW_TOKENS,
    ) -> None:
        self.sink = sink
        self.examples = list(examples)  # answer empty: filled at each step
        self.prompts = list(prompts)  # rendered: what generation starts from
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.sent: set[int] = set()
        self.seconds: list[float] = []  # generation time of each step answered

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: torch.nn.Module | None = None,
        **kwargs: Any,
    ) -> None:
        step = state.global_step
        if not state.is_world_process_zero or model is None or step in self.sent:
            return
        self.sent.add(step)
        started = time.monotonic()
        answers = self.answer(model, args)
        self.seconds.append(time.monotonic() - started)
        items = [
            PinnedAnswer(example.example_id, example.prompt, example.expected, answer)
            for example, answer in zip(self.examples, answers, strict=True)
        ]
        self.sink.answers(step, items)

    def answer(self, model: torch.nn.Module, args: TrainingArguments) -> list[str]:
        was_training = model.training
        device = next(model.parameters()).device
        half = torch.bfloat16 if args.bf16 else torch.float16
        # The evaluation ran under the Trainer's autocast; generation gets the same precision.
        autocast = torch.autocast(device.type, dtype=half) if args.bf16 or args.fp16 else nullcontext()
        model.eval()
        try:
            with autocast:
                return answer(model, self.tokenizer, self.prompts, self.max_new_tokens)
        finally:
            if was_training:
                model.train()


def pinned_examples(
    config: TrainingConfig, data: SplitData, sink: AnswerSink, tokenizer: PreTrainedTokenizerBase
) -> PinnedExamples | None:
    """The callback for the first `config.pinned_examples` validation examples; None when off or nothing to pin."""
    records = list(data.validation[: config.pinned_examples])
    if not records:
        return None
    ids = list(data.validation_ids) or list(range(len(data.validation)))
    examples = [
        PinnedAnswer(example_id, final_question(record), final_answer(record), "")
        for example_id, record in zip(ids, records, strict=False)
    ]
    prompts = [rendered.prompt for rendered in render_records(config.template, records, data.template_context)]
    sink.log(f"answering {len(records)} pinned validation examples at each evaluation", LogKind.INFO)
    return PinnedExamples(sink, examples, prompts, tokenizer)
