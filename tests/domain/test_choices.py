"""Multiple-choice scoring without a model: answers parsed, the harness's acc and acc_norm picks, per-subject scores."""

import pytest

from domain.scoring.choices import (
    ChoiceAnswer,
    answer,
    chosen,
    chosen_normalised,
    context,
    continuation,
    parse_answer,
    score_choices,
)


def test_the_harness_prompt_format() -> None:
    assert context("What is 2+2?") + continuation("4") == "Question: What is 2+2?\nAnswer: 4"


@pytest.mark.parametrize(("value", "index"), [(0, 0), (3, 3), ("2", 2), (" 1 ", 1), ("A", 0), ("d", 3), ("D", 3)])
def test_an_answer_is_an_index_from_zero_or_a_letter(value: object, index: int) -> None:
    assert parse_answer(value, 4) == index


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (4, "4 is not a choice of 4; give an index from 0 to 3 or a letter from A to D"),
        (-1, "-1 is not a choice of 4"),
        ("E", "'E' is not a choice of 4"),
        ("AB", "'AB' is neither an index nor a letter"),
        ("", "empty; give an index"),
        (True, "expected an index or a letter, got bool"),
        (1.0, "expected an index or a letter, got float"),
        (None, "got NoneType"),
    ],
)
def test_a_wrong_answer_says_what_to_write(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_answer(value, 4)


def test_acc_takes_the_highest_sum_and_acc_norm_the_highest_per_character() -> None:
    choices = ["no", "a long and right answer"]  # 2 and 23 characters
    logliks = [-4.0, -23.0]  # -2.0 per character against -1.0
    assert chosen(logliks) == 0
    assert chosen_normalised(logliks, choices) == 1
    picked = answer(logliks, choices, correct=1, subject=None)
    assert picked.scores == {"accuracy": 0.0, "accuracy_norm": 1.0}
    assert chosen([-1.0, -1.0]) == 0  # a tie goes to the first, as numpy's argmax


def test_scores_overall_and_per_subject_with_intervals() -> None:
    answers = [
        ChoiceAnswer("physics", correct=0, chosen=0, chosen_norm=1),
        ChoiceAnswer("physics", correct=1, chosen=1, chosen_norm=1),
        ChoiceAnswer("history", correct=2, chosen=0, chosen_norm=2),
        ChoiceAnswer(None, correct=0, chosen=1, chosen_norm=1),
    ]
    scored = score_choices(answers, seed=3)
    assert scored.metrics["accuracy"]["value"] == pytest.approx(0.5)
    assert scored.metrics["accuracy_norm"]["value"] == pytest.approx(0.5)
    low, high = scored.metrics["accuracy"]["ci_low"], scored.metrics["accuracy"]["ci_high"]
    assert 0 <= low <= 0.5 <= high <= 1
    assert score_choices(answers, seed=3) == scored  # the same seed, the same intervals
    assert [(s["subject"], s["questions"]) for s in scored.subjects] == [("history", 1), ("physics", 2)]
    history, physics = scored.subjects
    assert (history["metrics"]["accuracy"]["value"], history["metrics"]["accuracy_norm"]["value"]) == (0.0, 1.0)
    assert history["metrics"]["accuracy"]["ci_low"] is None  # one question has no spread to resample
    assert (physics["metrics"]["accuracy"]["value"], physics["metrics"]["accuracy_norm"]["value"]) == (1.0, 0.5)
