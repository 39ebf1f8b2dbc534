"""Answer rendered prompts: the test prompts twice after a run (fine-tuned and bare base model, greedy), and an
evaluation's prompts with one model and its own decoding, batch by batch with progress and cancellation."""

from collections.abc import Callable
from pathlib import Path

import torch
from peft import PeftModel
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    set_seed,
)

from domain.decoding import Decoding
from domain.hardware import Device
from domain.log import LogKind
from worker.training.hardware import detect_device, model_dtype
from worker.training.types import TrainingSink

REPLACEMENT_CHARACTER = "\ufffd"  # what decoding puts for bytes that are not a whole UTF-8 character

# Called after each batch with the number of prompts answered so far; False stops the generation (a cancel).
Progress = Callable[[int], bool]


class GenerationStopped(Exception):
    """The progress callback asked to stop."""


def _generate(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[str],
    generation_config: GenerationConfig,
    batch_size: int,
    label: str,
    sink: TrainingSink | None,
    *,
    seed: int | None = None,
    stop: list[str] | None = None,
    progress: Progress | None = None,
) -> list[str]:
    # Batches of similar length waste less compute on padding; answers are put back in prompt order.
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    stop_ids = {tokenizer.pad_token_id, *_as_list(generation_config.eos_token_id)}
    answers = [""] * len(prompts)
    device = next(model.parameters()).device
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        if sink is not None:
            sink.log(f"{label}: answering prompts {start + 1}–{start + len(batch)} of {len(prompts)}", LogKind.PROGRESS)
        if seed is not None:
            # Seeded per batch: a batch's draws do not depend on how many tokens the batches before it drew.
            set_seed(seed + start)
        encoded = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True).to(device)
        # Stop strings are matched on text: generate() needs the tokenizer for them.
        extra = {"tokenizer": tokenizer} if stop else {}
        with torch.inference_mode():
            output = model.generate(**encoded, generation_config=generation_config, **extra)  # type: ignore[operator]
        # Left padding puts every prompt's end at the same column: the new tokens start there.
        new_tokens = output[:, encoded["input_ids"].shape[1] :]
        # Only a batch that ran to max_new_tokens can hold a cut answer: one that did not stop with an end token.
        at_limit = new_tokens.shape[1] >= (generation_config.max_new_tokens or 0)
        for i, tokens in zip(batch, new_tokens.tolist(), strict=True):
            answer = decode_answer(tokenizer, tokens, hit_limit=at_limit and tokens[-1] not in stop_ids)
            answers[i] = cut_at_stop(answer, stop or [])
        if progress is not None and not progress(start + len(batch)):
            raise GenerationStopped()
    return answers


def cut_at_stop(text: str, stop: list[str]) -> str:
    """The answer up to the first stop string, which is not part of it. Generation stops at the token that completes
    one; the text is cut here because a token can run past the string's end."""
    cut = min((index for index in (text.find(s) for s in stop) if index >= 0), default=-1)
    return text if cut < 0 else text[:cut].strip()


def decode_answer(tokenizer: PreTrainedTokenizerBase, tokens: list[int], *, hit_limit: bool) -> str:
    """The answer's text. A generation cut by max_new_tokens can end in the first bytes of a multi-byte character
    (an emoji is 4 bytes, often 2 or 3 tokens), which decode to one U+FFFD: that incomplete tail is dropped.
    A U+FFFD anywhere else, or in an answer that ended by itself, is what the model wrote and stays."""
    text = str(tokenizer.decode(tokens, skip_special_tokens=True))
    if hit_limit and text.endswith(REPLACEMENT_CHARACTER):
        text = text[:-1]
    return text.strip()


def _as_list(ids: int | list[int] | None) -> list[int]:
    return [] if ids is None else [ids] if isinstance(ids, int) else list(ids)


def _load(model_dir: str | Path, device: Device) -> PreTrainedModel:
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=model_dtype(device), device_map=device)
    model.eval()
    return model


def generate_answers(
    base_model: str,
    weights_dir: Path,
    prompts: list[str],
    max_new_tokens: int,
    sink: TrainingSink | None = None,
    batch_size: int = 8,
) -> tuple[list[str], list[str]]:
    """Greedy answers to already-rendered prompts: (fine-tuned answers, base-model answers), in prompt order.

    `weights_dir` is what train() saved: a LoRA adapter (adapter_config.json) or, after method full, a whole model.
    """
    if not prompts:
        return [], []
    device = detect_device()
    tokenizer = AutoTokenizer.from_pretrained(weights_dir)
    # Decoder-only models continue from the last position, so padding has to go on the left.
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # An explicit config, so sampling defaults shipped with a model cannot make the comparison random.
    generation_config = GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )

    def answer(model: torch.nn.Module, label: str) -> list[str]:
        return _generate(model, tokenizer, prompts, generation_config, batch_size, label, sink)

    if (weights_dir / "adapter_config.json").is_file():
        if sink is not None:
            sink.log(f"loading {base_model} with the adapter for generation on {device}", LogKind.PROGRESS)
        model = PeftModel.from_pretrained(_load(base_model, device), weights_dir)
        model.eval()
        tuned = answer(model, "fine-tuned model")
        with model.disable_adapter():
            return tuned, answer(model, "base model")

    # Method full: two whole models, loaded one after the other so memory holds one at a time (each is released
    # when its answers are done: nothing else refers to it).
    if sink is not None:
        sink.log(f"loading the fine-tuned model for generation on {device}", LogKind.PROGRESS)
    tuned = answer(_load(weights_dir, device), "fine-tuned model")
    if sink is not None:
        sink.log(f"loading {base_model} for generation on {device}", LogKind.PROGRESS)
    return tuned, answer(_load(base_model, device), "base model")


def generation_config_for(
    decoding: Decoding, max_new_tokens: int, tokenizer: PreTrainedTokenizerBase
) -> GenerationConfig:
    """An explicit config: sampling defaults shipped with a model never apply, only what the evaluation asked."""
    sampling = decoding.strategy == "sampling"
    extra = {"temperature": decoding.temperature, "top_p": decoding.top_p, "top_k": decoding.top_k} if sampling else {}
    return GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=sampling,
        repetition_penalty=decoding.repetition_penalty,
        stop_strings=decoding.stop or None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **extra,
    )


def load_answering_model(base_model: str, weights_dir: Path | None) -> tuple[torch.nn.Module, PreTrainedTokenizerBase]:
    """The model an evaluation asks for, in eval mode, and its tokenizer. `weights_dir`: a LoRA adapter (the final one
    or a checkpoint's, with adapter_config.json) loaded onto the base model, or a whole model (method full); None: the
    base model alone, unquantised."""
    device = detect_device()
    # The trainer saves the tokenizer with the final weights; a checkpoint may lack it, and then the base model's is
    # the same one.
    has_tokenizer = weights_dir is not None and (weights_dir / "tokenizer_config.json").is_file()
    tokenizer = AutoTokenizer.from_pretrained(weights_dir if has_tokenizer else base_model)
    model: torch.nn.Module
    if weights_dir is None:
        model = _load(base_model, device)
    elif (weights_dir / "adapter_config.json").is_file():
        model = PeftModel.from_pretrained(_load(base_model, device), weights_dir)
        model.eval()
    else:
        model = _load(weights_dir, device)
    return model, tokenizer


def answer_prompts(
    base_model: str,
    weights_dir: Path | None,
    prompts: list[str],
    decoding: Decoding,
    max_new_tokens: int,
    *,
    batch_size: int = 8,
    progress: Progress | None = None,
) -> list[str] | None:
    """One model's answers to already-rendered prompts, in prompt order; None when `progress` stopped it.

    `weights_dir`: a LoRA adapter (the final one or a checkpoint's, with adapter_config.json) loaded onto the base
    model, or a whole model (method full); None: the base model alone, unquantised.
    """
    if not prompts:
        return []
    model, tokenizer = load_answering_model(base_model, weights_dir)
    tokenizer.padding_side = "left"  # decoder-only models continue from the last position
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    generation_config = generation_config_for(decoding, max_new_tokens, tokenizer)
    seed = decoding.seed if decoding.strategy == "sampling" else None
    try:
        return _generate(
            model,
            tokenizer,
            prompts,
            generation_config,
            batch_size,
            "",
            None,
            seed=seed,
            stop=decoding.stop,
            progress=progress,
        )
    except GenerationStopped:
        return None
