"""Decoding generated answers: a character cut by max_new_tokens is dropped, nothing else is."""

from pathlib import Path

from transformers import AutoTokenizer

from worker.training.generate import REPLACEMENT_CHARACTER, decode_answer


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
