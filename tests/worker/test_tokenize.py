"""Tokens and the loss mask on known examples, with the bundled SmolLM2 tokenizer (no transformers involved)."""

import json
import shutil
from pathlib import Path

import pytest

from domain.records import AlpacaRecord, ChatRecord, Message
from domain.templates import RenderedExample, Segment, render
from domain.tokenize import (
    LoadedTokenizer,
    answer_token_lengths,
    bos_ids,
    load_tokenizer,
    token_lengths,
    tokenize_many,
    tokenize_rendered,
)

HELLO = AlpacaRecord(instruction="Say hello.", output="Hello there.")
TWO_TURNS = ChatRecord(
    messages=(
        Message(role="user", content="Hi"),
        Message(role="assistant", content="Hello!"),
        Message(role="user", content="Bye"),
        Message(role="assistant", content="Goodbye."),
    )
)
ALPACA_PROMPT_TOKENS = [
    "Below", " is", " an", " instruction", " that", " describes", " a", " task", ".", " Write", " a", " response",
    " that", " appropriately", " completes", " the", " request", ".", "\n", "\n",
    "###", " Instruction", ":", "\n", "Say", " hello", ".", "\n", "\n", "###", " Response", ":", "\n",
]  # fmt: skip


@pytest.fixture(scope="module")
def smol(tiny_model: Path) -> LoadedTokenizer:
    return load_tokenizer(tiny_model)


def test_load_tokenizer_reads_eos_without_transformers(smol: LoadedTokenizer) -> None:
    assert smol.eos_token == "<|im_end|>"
    assert bos_ids(smol.tokenizer) == []  # SmolLM2 starts texts without a BOS


def test_alpaca_prompt_masked_answer_and_one_eos_trained(smol: LoadedTokenizer) -> None:
    tokenized = tokenize_rendered(
        smol.tokenizer, render("alpaca", HELLO), eos_token=smol.eos_token, max_length=256, completion_only_loss=True
    )
    tokens = tokenized.tokens
    assert [t.text for t in tokens] == [*ALPACA_PROMPT_TOKENS, "Hello", " there", ".", "<|im_end|>"]
    assert [t.reason for t in tokens] == ["prompt"] * len(ALPACA_PROMPT_TOKENS) + [None] * 4
    assert [t.trained for t in tokens] == [False] * len(ALPACA_PROMPT_TOKENS) + [True] * 4
    assert tokens[-1].id == smol.tokenizer.token_to_id("<|im_end|>")
    assert tokenized.completion_mask == [0] * len(ALPACA_PROMPT_TOKENS) + [1] * 4
    assert (tokenized.num_tokens, tokenized.num_tokens_before_truncation, tokenized.truncated) == (37, 37, False)
    # The prompt's tokens are those generation starts from: the prompt encoded on its own.
    prompt_ids = smol.tokenizer.encode(render("alpaca", HELLO).prompt, add_special_tokens=False).ids
    assert tokenized.input_ids[: len(prompt_ids)] == prompt_ids


def test_answer_already_ending_with_eos_gets_no_second_one(smol: LoadedTokenizer) -> None:
    example = AlpacaRecord(instruction="Say goodbye.", input="politely", output="Goodbye, friend.<|im_end|>")
    tokens = tokenize_rendered(
        smol.tokenizer, render("alpaca", example), eos_token=smol.eos_token, max_length=256, completion_only_loss=True
    ).tokens
    assert [t.text for t in tokens if t.trained] == ["Good", "bye", ",", " friend", ".", "<|im_end|>"]


def test_chatml_every_assistant_turn_trained_with_its_end_marker(smol: LoadedTokenizer) -> None:
    tokens = tokenize_rendered(
        smol.tokenizer, render("chatml", TWO_TURNS), eos_token=smol.eos_token, max_length=256, completion_only_loss=True
    ).tokens
    runs: list[tuple[bool, str]] = []
    for token in tokens:
        if runs and runs[-1][0] == token.trained:
            runs[-1] = (token.trained, runs[-1][1] + token.text)
        else:
            runs.append((token.trained, token.text))
    assert runs == [
        (False, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"),
        (True, "Hello!<|im_end|>"),
        (False, "\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"),
        (True, "Goodbye.<|im_end|>"),  # <|im_end|> is SmolLM2's eos: no second one
    ]


def test_full_sequence_loss_trains_every_token(smol: LoadedTokenizer) -> None:
    tokenized = tokenize_rendered(
        smol.tokenizer, render("alpaca", HELLO), eos_token=smol.eos_token, max_length=256, completion_only_loss=False
    )
    assert all(t.trained and t.reason is None for t in tokenized.tokens)
    assert tokenized.completion_mask == [1] * 37


def test_truncation_keeps_the_first_max_length_tokens(smol: LoadedTokenizer) -> None:
    rendered = render("alpaca", HELLO)
    tokenized = tokenize_rendered(
        smol.tokenizer, rendered, eos_token=smol.eos_token, max_length=35, completion_only_loss=True
    )
    tokens = tokenized.tokens
    assert (tokenized.num_tokens, tokenized.num_tokens_before_truncation, tokenized.truncated) == (35, 37, True)
    assert [(t.text, t.reason) for t in tokens[33:]] == [
        ("Hello", None),
        (" there", None),
        (".", "truncated"),
        ("<|im_end|>", "truncated"),  # the model never learns to stop on this example
    ]
    assert len(tokenized.input_ids) == len(tokenized.completion_mask) == 35
    assert tokenized.has_target

    prompt_only = tokenize_rendered(
        smol.tokenizer, rendered, eos_token=smol.eos_token, max_length=20, completion_only_loss=True
    )
    assert not prompt_only.has_target  # the trainer skips it: nothing of the answer fits


def test_token_texts_give_the_text_back_even_for_split_characters(smol: LoadedTokenizer) -> None:
    example = AlpacaRecord(instruction="Reply with an emoji.", input="  spaced  ", output="Sure 😀 👍🏽\n\n  done")
    rendered = render("alpaca", example)
    tokenized = tokenize_rendered(
        smol.tokenizer, rendered, eos_token=smol.eos_token, max_length=256, completion_only_loss=True
    )
    assert "".join(t.text for t in tokenized.tokens) == rendered.text + "<|im_end|>"
    assert "".join(t.text for t in tokenized.tokens if t.trained) == "Sure 😀 👍🏽\n\n  done<|im_end|>"
    assert "" in [t.text for t in tokenized.tokens]  # a second byte of an emoji


def test_a_token_across_the_prompt_answer_boundary_is_trained(smol: LoadedTokenizer) -> None:
    rendered = RenderedExample((Segment("The answer is", False), Segment("n't obvious", True)))
    tokens = tokenize_rendered(
        smol.tokenizer, rendered, eos_token=smol.eos_token, max_length=64, completion_only_loss=True
    ).tokens
    assert [(t.text, t.trained) for t in tokens] == [
        ("The", False),
        (" answer", False),
        (" isn", True),  # merges the prompt's last word with the answer: trained, as TRL counts it
        ("'t", True),
        (" obvious", True),
        ("<|im_end|>", True),
    ]


def test_bos_added_once_when_the_tokenizer_asks_for_it(tiny_model: Path, tmp_path: Path) -> None:
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_model / name, tmp_path / name)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({**config, "add_bos_token": True}))
    loaded = load_tokenizer(tmp_path)
    bos = loaded.tokenizer.token_to_id("<|im_start|>")
    assert bos_ids(loaded.tokenizer) == [bos]

    alpaca = tokenize_rendered(
        loaded.tokenizer, render("alpaca", HELLO), eos_token=loaded.eos_token, max_length=256, completion_only_loss=True
    )
    assert alpaca.input_ids[0] == bos and alpaca.input_ids[1] != bos
    assert (alpaca.tokens[0].text, alpaca.tokens[0].reason) == ("<|im_start|>", "prompt")
    # ChatML starts with <|im_start|> already (here the BOS): not a second one.
    chatml = tokenize_rendered(
        loaded.tokenizer, render("chatml", HELLO), eos_token=loaded.eos_token, max_length=256, completion_only_loss=True
    )
    assert chatml.input_ids[:2] == [bos, loaded.tokenizer.token_to_id("user")]


def test_lengths_match_the_tokenized_examples(smol: LoadedTokenizer) -> None:
    rendered = [
        render("alpaca", HELLO),
        render("chatml", TWO_TURNS),
        render("plain", AlpacaRecord(instruction="x", output="y<|im_end|>")),
    ]
    tokenized = tokenize_many(
        smol.tokenizer, rendered, eos_token=smol.eos_token, max_length=16, completion_only_loss=True
    )
    lengths = token_lengths(smol.tokenizer, rendered, eos_token=smol.eos_token)
    assert lengths == [t.num_tokens_before_truncation for t in tokenized]
    # The built-in templates end each prompt where a token ends: the answers encoded alone are as many tokens.
    answers = answer_token_lengths(smol.tokenizer, rendered, eos_token=smol.eos_token)
    assert answers == [sum(t.answer) for t in tokenized]
    assert all(0 < a < n for a, n in zip(answers, lengths, strict=True))
    assert [t.truncated for t in tokenized] == [True, True, False]


def test_missing_tokenizer_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no tokenizer\.json"):
        load_tokenizer(tmp_path)
