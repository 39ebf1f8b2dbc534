import pytest

from domain.judging import (
    DEFAULT_RUBRIC,
    PAIRWISE_PLACEHOLDERS,
    PAIRWISE_RUBRIC,
    UnreadableReply,
    check_rubric,
    fill,
    parse_score,
    parse_verdict,
    task_and_input,
)
from domain.records import AlpacaRecord, ChatRecord, Message, PromptCompletionRecord


def test_the_default_rubrics_have_their_placeholders() -> None:
    check_rubric(DEFAULT_RUBRIC)
    check_rubric(PAIRWISE_RUBRIC, PAIRWISE_PLACEHOLDERS)


def test_fill_replaces_only_the_known_placeholders_once() -> None:
    filled = fill(
        '{instruction} -> {response} {"score": 1} {other}', {"instruction": "say {response}", "response": "x"}
    )
    assert filled == 'say {response} -> x {"score": 1} {other}'


@pytest.mark.parametrize(
    ("reply", "score", "explanation"),
    [
        ('```json\n{"score": 85, "explanation": "Close."}\n```', 85.0, "Close."),
        ('Here you go: {"score": "90", "explanation": "Good."}', 90.0, "Good."),
        ("**Score:** 73/100\nMostly right.", 73.0, "Mostly right."),
        ('{"score": 0, "explanation": "Wrong city."}', 0.0, "Wrong city."),
    ],
)
def test_scores_are_read(reply: str, score: float, explanation: str) -> None:
    assert parse_score(reply) == (score, explanation)


@pytest.mark.parametrize("reply", ['{"score": true}', '{"score": NaN}', '{"score": -5}', "I'd say seventy", ""])
def test_no_usable_score_is_unreadable(reply: str) -> None:
    with pytest.raises(UnreadableReply):
        parse_score(reply)


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [('{"winner": "B", "explanation": "x"}', "B"), ("Winner: answer A", "A"), ("**tie**", "tie"), ("B.", "B")],
)
def test_verdicts_are_read(reply: str, verdict: str) -> None:
    assert parse_verdict(reply)[0] == verdict


def test_a_long_unreadable_reply_is_quoted_on_one_line() -> None:
    with pytest.raises(UnreadableReply) as refused:
        parse_verdict("Both answers\nare " + "fine " * 40)
    assert str(refused.value) == f"no verdict in the reply: '{('Both answers are ' + 'fine ' * 40)[:80]}…'"


def test_the_judge_sees_the_task_and_input_without_a_template() -> None:
    alpaca = AlpacaRecord(instruction="Translate to French.", input="cat", output="chat")
    assert task_and_input(alpaca) == ("Translate to French.", "cat")
    assert task_and_input(PromptCompletionRecord(prompt="2 + 2 =", completion="4")) == ("2 + 2 =", "")
    chat = ChatRecord(
        messages=(
            Message(role="system", content="Be brief."),
            Message(role="user", content="Capital of France?"),
            Message(role="assistant", content="Paris"),
            Message(role="user", content="And of Spain?"),
            Message(role="assistant", content="Madrid"),
        )
    )
    assert task_and_input(chat) == (
        "And of Spain?",
        "system: Be brief.\n\nuser: Capital of France?\n\nassistant: Paris",
    )
