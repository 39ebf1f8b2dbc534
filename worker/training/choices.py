"""Multiple-choice questions answered by log-likelihood, as lm-evaluation-harness answers them
(domain.scoring.choices): each choice's continuation is scored given the question's context, nothing is generated.

Questions go through the model a batch at a time, each with all its choices, longest first as the harness does: a
batch that does not fit in memory fails at once rather than an hour in.
"""

from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from transformers import PreTrainedTokenizerBase

from domain.scoring.choices import ChoiceQuestion, context, continuation
from worker.training.generate import load_answering_model, load_tokenizer
from worker.training.hardware import detect_device

# Called after each batch with the number of questions scored so far; False stops the scoring (a cancel).
Progress = Callable[[int], bool]
# The harness's default when neither the model's config nor its tokenizer says how long a sequence may be.
DEFAULT_MAX_LENGTH = 2048
TokenPair = tuple[list[int], list[int]]  # (context tokens, continuation tokens)


def encode_pair(tokenizer: PreTrainedTokenizerBase, context_text: str, continuation_text: str) -> TokenPair:
    """The harness's _encode_pair: spaces that end the context move to the continuation, the two are tokenised
    together (a tokenizer may merge across the boundary) and the continuation is whatever follows as many tokens as
    the context has alone. No special tokens, as the harness's default for causal models."""
    spaces = len(context_text) - len(context_text.rstrip())
    if spaces:
        context_text, continuation_text = context_text[:-spaces], context_text[-spaces:] + continuation_text
    whole = tokenizer(context_text + continuation_text, add_special_tokens=False)["input_ids"]
    context_ids = tokenizer(context_text, add_special_tokens=False)["input_ids"]
    return list(context_ids), list(whole[len(context_ids) :])


def max_length(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase) -> int:
    config = getattr(model, "config", None)
    for name in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    # Tokenizers without a limit say so with a huge number (int(1e30)).
    limit = tokenizer.model_max_length
    return limit if isinstance(limit, int) and limit < 1_000_000_000 else DEFAULT_MAX_LENGTH


def loglikelihoods(model: torch.nn.Module, pairs: Sequence[TokenPair], length: int, pad_id: int) -> list[float]:
    """Each continuation's log-likelihood given its context, summed over its tokens, in one forward pass.

    A pair longer than `length` + 1 tokens loses its first tokens (the continuation is kept). Sequences are padded on
    the right: position j's logits predict token j + 1, and padding after a sequence cannot change them (causal
    attention, masked)."""
    inputs = [(context_ids + continuation_ids)[-(length + 1) :][:-1] for context_ids, continuation_ids in pairs]
    width = max(len(tokens) for tokens in inputs)
    device = next(model.parameters()).device
    ids = torch.full((len(inputs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(inputs), width), dtype=torch.long)
    for row, tokens in enumerate(inputs):
        ids[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        mask[row, : len(tokens)] = 1
    with torch.inference_mode():
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
        results = []
        for row, ((_, continuation_ids), tokens) in enumerate(zip(pairs, inputs, strict=True)):
            count = min(len(continuation_ids), len(tokens))
            if count == 0:
                results.append(0.0)
                continue
            # Only the continuation's positions, in float32: log_softmax over the whole vocabulary in bf16 loses
            # the small differences between choices.
            scores = logits[row, len(tokens) - count : len(tokens)].float().log_softmax(dim=-1)
            targets = torch.tensor(continuation_ids[-count:], dtype=torch.long, device=scores.device)
            results.append(float(scores.gather(1, targets.unsqueeze(1)).sum()))
    return results


def score_with(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    questions: Sequence[ChoiceQuestion],
    *,
    batch_size: int,
    progress: Progress | None = None,
) -> list[list[float]] | None:
    """Every choice's log-likelihood, per question in order; None when `progress` stopped it."""
    length = max_length(model, tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id or 0
    encoded = [[encode_pair(tokenizer, context(q.question), continuation(c)) for c in q.choices] for q in questions]
    order = sorted(range(len(questions)), key=lambda i: -max(len(a) + len(b) for a, b in encoded[i]))
    logliks: list[list[float]] = [[] for _ in questions]
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        values = iter(loglikelihoods(model, [pair for i in batch for pair in encoded[i]], length, pad_id))
        for i in batch:
            logliks[i] = [next(values) for _ in encoded[i]]
        if progress is not None and not progress(start + len(batch)):
            return None
    return logliks


def score_questions(
    base_model: str,
    weights_dir: Path | None,
    questions: Sequence[ChoiceQuestion],
    *,
    batch_size: int,
    progress: Progress | None = None,
) -> list[list[float]] | None:
    """score_with() the model an evaluation asks for (see generate.load_answering_model)."""
    if not questions:
        return []
    model = load_answering_model(base_model, weights_dir, detect_device())
    tokenizer = load_tokenizer(base_model, weights_dir)
    return score_with(model, tokenizer, questions, batch_size=batch_size, progress=progress)
