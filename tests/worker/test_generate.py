"""Generating answers: batched as one by one, decoding options as generate() applies them, sampling seeded per
prompt, the batch size from memory; decoding: a character cut by max_new_tokens is dropped, nothing else is."""

from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, GenerationConfig, PreTrainedModel, PreTrainedTokenizerBase

from domain.decoding import Decoding
from domain.records import AlpacaRecord
from domain.templates import render
from tests.tiny_model import build_tiny_llama
from worker.training.generate import (
    MAX_BATCH_SIZE,
    REPLACEMENT_CHARACTER,
    answer,
    batch_size_for,
    cut_at_stop,
    decode_answer,
    generation_row_bytes,
    load_model,
    load_tokenizer,
)
from worker.training.hardware import cpu_computes_bf16, model_dtype


def _cut_inside_a_character(tokenizer: object, text: str) -> list[int]:
    ids: list[int] = tokenizer.encode(text, add_special_tokens=False)  # type: ignore[attr-defined]
    for end in range(len(ids) - 1, 0, -1):
        if tokenizer.decode(ids[:end]).endswith(REPLACEMENT_CHARACTER):  # type: ignore[attr-defined]
            return ids[:end]
    raise AssertionError(f"no token boundary inside a character of {text!r}")


def test_a_character_cut_by_the_token_limit_is_dropped(tiny_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    cut = _cut_inside_a_character(tokenizer, "Merci beaucoup 😀")

    assert tokenizer.decode(cut).endswith(REPLACEMENT_CHARACTER)  # what the answer showed before
    assert decode_answer(tokenizer, cut, hit_limit=True) == "Merci beaucoup"


def test_a_replacement_character_the_model_wrote_stays(tiny_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    written = f"broken {REPLACEMENT_CHARACTER} byte, then 😀"
    cut = _cut_inside_a_character(tokenizer, written)

    # In the middle: kept, even when the end is cut.
    assert decode_answer(tokenizer, cut, hit_limit=True) == f"broken {REPLACEMENT_CHARACTER} byte, then"
    # Not cut by the limit (the answer ended by itself): the text is the model's, whatever it ends with.
    ids = tokenizer.encode(f"the end {REPLACEMENT_CHARACTER}", add_special_tokens=False)
    assert decode_answer(tokenizer, ids, hit_limit=False) == f"the end {REPLACEMENT_CHARACTER}"
    assert decode_answer(tokenizer, cut, hit_limit=False).endswith(REPLACEMENT_CHARACTER)


PENALTY = 2.0  # padding must not count as tokens the answer repeats
PENALISED = Decoding(repetition_penalty=PENALTY)
# Rendered with a template, as every generation's prompts are: batched, their shared beginning is computed once.
PROMPTS = [
    render("alpaca", AlpacaRecord(instruction=instruction, input=text, output="-")).prompt
    for instruction, text in [
        ("Hi", ""),
        ("What is the capital of France?", ""),
        ("Summarise the text.", "The museum opens late on Fridays, until nine in the evening, from June to August."),
        ("List three colours.", ""),
        ("Translate to Greek.", "Good morning, how are you today?"),
        ("Add the numbers.", "2 and 2"),
    ]
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    # Weights large enough that a token's position changes the answers: a misnumbered position shows.
    path = build_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-sharp", initializer_range=1.0)
    # float32: the answers must be exactly the reference's (16-bit rounding depends on the batch's shape).
    return load_model(path, "cpu", torch.float32), load_tokenizer(str(path), None)


def _one_at_a_time_with_generate(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, config: GenerationConfig
) -> list[list[int]]:
    """The reference: transformers' generate(), one prompt at a time (no padding), its new tokens."""
    generated = []
    for prompt in PROMPTS:
        encoded = tokenizer([prompt], return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(**encoded, generation_config=config, tokenizer=tokenizer)  # type: ignore[operator]
        generated.append(output[0, encoded["input_ids"].shape[1] :].tolist())
    return generated


def _greedy(tokenizer: PreTrainedTokenizerBase, ends: list[int], **options: object) -> GenerationConfig:
    return GenerationConfig(
        max_new_tokens=10,
        do_sample=False,
        repetition_penalty=PENALTY,
        eos_token_id=ends,
        pad_token_id=tokenizer.pad_token_id,
        **options,
    )


def test_batched_greedy_answers_are_the_one_by_one_answers(
    tiny: tuple[PreTrainedModel, PreTrainedTokenizerBase],
) -> None:
    model, tokenizer = tiny
    # The random model never writes its end token: tokens it writes at different steps end the answers instead (as
    # the model's generation config names them), so rows leave the batch at different steps.
    written = _one_at_a_time_with_generate(model, tokenizer, _greedy(tokenizer, [tokenizer.eos_token_id]))
    ends = [tokenizer.eos_token_id, written[0][2], written[1][5], written[3][7]]
    reference = _one_at_a_time_with_generate(model, tokenizer, _greedy(tokenizer, ends))
    assert len({len(tokens) for tokens in reference}) > 2  # the answers do end at different steps
    model.generation_config.eos_token_id = ends
    try:
        one_by_one = answer(model, tokenizer, PROMPTS, 10, PENALISED, max_batch_size=1)
        batched = answer(model, tokenizer, PROMPTS, 10, PENALISED, max_batch_size=len(PROMPTS))
    finally:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
    expected = [decode_answer(tokenizer, tokens, hit_limit=tokens[-1] not in ends) for tokens in reference]
    assert batched == one_by_one == expected


def test_stop_strings_end_answers_as_generate_ends_them(
    tiny: tuple[PreTrainedModel, PreTrainedTokenizerBase],
) -> None:
    model, tokenizer = tiny
    free = answer(model, tokenizer, PROMPTS, 10, PENALISED)
    stop = free[1][len(free[1]) // 2 :][:2]  # two characters from the middle of one answer
    config = _greedy(tokenizer, [tokenizer.eos_token_id], stop_strings=[stop])
    expected = [
        cut_at_stop(decode_answer(tokenizer, tokens, hit_limit=False), [stop])
        for tokens in _one_at_a_time_with_generate(model, tokenizer, config)
    ]
    decoding = PENALISED.model_copy(update={"stop": [stop]})
    batched = answer(model, tokenizer, PROMPTS, 10, decoding, max_batch_size=len(PROMPTS))
    assert batched == expected
    assert len(batched[1]) < len(free[1])


def test_sampling_is_reproducible_whatever_the_batch_size(
    tiny: tuple[PreTrainedModel, PreTrainedTokenizerBase],
) -> None:
    model, tokenizer = tiny
    sampling = Decoding(strategy="sampling", temperature=1.5, top_k=0, seed=7)
    first = answer(model, tokenizer, PROMPTS, 8, sampling, max_batch_size=len(PROMPTS))
    assert answer(model, tokenizer, PROMPTS, 8, sampling, max_batch_size=2) == first
    assert answer(model, tokenizer, PROMPTS, 8, sampling.model_copy(update={"seed": 8})) != first
    assert answer(model, tokenizer, PROMPTS, 8) != first  # greedy


def test_the_batch_size_follows_memory(tiny: tuple[PreTrainedModel, PreTrainedTokenizerBase]) -> None:
    model, _ = tiny
    assert batch_size_for(model, 100, 64) == MAX_BATCH_SIZE  # a tiny model: the limit binds, not memory
    assert batch_size_for(model, 100, 64, cap=3) == 3
    # A prompt whose attention scores alone outgrow the memory: one at a time.
    assert batch_size_for(model, 1_000_000, 64) == 1
    config = model.config.to_dict()
    assert generation_row_bytes(config, 200, 64, 4) > generation_row_bytes(config, 100, 64, 4)


def test_answers_are_bf16_on_a_cpu_that_multiplies_bf16(tmp_path: Path) -> None:
    native, emulated = tmp_path / "native", tmp_path / "emulated"
    native.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 avx512vl\n\nprocessor\t: 1\n")
    emulated.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n")
    assert cpu_computes_bf16(native)
    assert not cpu_computes_bf16(emulated)
    assert not cpu_computes_bf16(tmp_path / "absent")
    assert model_dtype("cpu") == (torch.bfloat16 if cpu_computes_bf16() else torch.float32)


def test_bf16_answers_are_those_of_float32_but_for_near_ties(tiny_model: Path) -> None:
    """The bf16 path runs end to end (cache, padding, rows leaving), and its answers are the float32 ones' but for a
    few: 16-bit rounding flips near-ties."""
    tokenizer = load_tokenizer(str(tiny_model), None)
    exact = answer(load_model(tiny_model, "cpu", torch.float32), tokenizer, PROMPTS, 10)
    half = answer(load_model(tiny_model, "cpu", torch.bfloat16), tokenizer, PROMPTS, 10)
    assert sum(a == b for a, b in zip(exact, half, strict=True)) >= len(PROMPTS) // 2
