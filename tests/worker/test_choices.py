"""Multiple-choice scoring on the tiny random Llama: each choice's log-likelihood as lm-evaluation-harness computes
it, the same in a padded batch as alone, and a question where acc and acc_norm pick different choices."""

from pathlib import Path

import pytest
import torch
from transformers import PreTrainedTokenizerBase

from domain.scoring.choices import ChoiceQuestion, answer, context, continuation
from worker.training.choices import encode_pair, score_with
from worker.training.generate import load_answering_model, load_tokenizer

QUESTIONS = [
    ChoiceQuestion("What is the capital of France?", ["Paris", "Rome", "a city somewhere in the south of Europe"]),
    ChoiceQuestion("2 + 2?", ["4", "five"]),
    ChoiceQuestion("Which word is longest in this rather long question about words?", ["a", "bb", "ccc", "dddd"]),
]


@pytest.fixture(scope="module")
def loaded(tiny_model: Path) -> tuple[torch.nn.Module, PreTrainedTokenizerBase]:
    return load_answering_model(str(tiny_model), None, "cpu"), load_tokenizer(str(tiny_model), None)


def _by_hand(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, question: str, choice: str) -> float:
    """The continuation's log-likelihood from one unpadded forward pass over the whole text."""
    context_ids = tokenizer(context(question), add_special_tokens=False)["input_ids"]
    ids = tokenizer(context(question) + continuation(choice), add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        log_probs = model(input_ids=torch.tensor([ids])).logits[0].float().log_softmax(-1)
    # Position j predicts token j + 1: the continuation's tokens start after the context's.
    return sum(float(log_probs[j - 1, ids[j]]) for j in range(len(context_ids), len(ids)))


def test_each_choice_is_scored_given_the_question_batched_or_alone(
    loaded: tuple[torch.nn.Module, PreTrainedTokenizerBase],
) -> None:
    model, tokenizer = loaded
    # Trailing spaces of the context go to the continuation, as in the harness.
    assert encode_pair(tokenizer, "Answer: ", "Paris") == encode_pair(tokenizer, "Answer:", " Paris")

    batched = score_with(model, tokenizer, QUESTIONS, batch_size=3)
    alone = [score_with(model, tokenizer, [question], batch_size=1) for question in QUESTIONS]
    assert batched is not None
    for question, values, single in zip(QUESTIONS, batched, alone, strict=True):
        assert len(values) == len(question.choices)
        assert single is not None
        assert values == pytest.approx(single[0], abs=1e-4)  # right padding changes nothing
        for choice, value in zip(question.choices, values, strict=True):
            assert value == pytest.approx(_by_hand(model, tokenizer, question.question, choice), abs=1e-4)
            assert value < 0

    seen: list[int] = []
    stopped = score_with(model, tokenizer, QUESTIONS, batch_size=1, progress=lambda done: seen.append(done) or False)
    assert (stopped, seen) == (None, [1])


def test_acc_and_acc_norm_disagree_on_choices_of_very_different_lengths(
    loaded: tuple[torch.nn.Module, PreTrainedTokenizerBase],
) -> None:
    model, tokenizer = loaded
    long = "the right answer, which takes a great many words and characters to write down in full"
    question = ChoiceQuestion("Which answer is right?", ["x", long])
    scored = score_with(model, tokenizer, [question], batch_size=1)
    assert scored is not None
    short_ll, long_ll = scored[0]
    # A random model pays about the same per token, so the long choice's sum is far lower, but per character higher.
    assert short_ll > long_ll
    assert short_ll / 1 < long_ll / len(long)
    picked = answer(scored[0], question.choices, correct=1, subject=None)
    assert (picked.chosen, picked.chosen_norm) == (0, 1)
    assert picked.scores == {"accuracy": 0.0, "accuracy_norm": 1.0}
