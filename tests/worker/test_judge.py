"""The LLM judge against a real HTTP server that speaks /v1/chat/completions, its replies scripted per prompt."""

import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from tests.judge_server import API_KEY, FakeJudge, Script, Scripted, running_judge
from worker.judge import JudgeEndpoint, JudgeItem, PairItem, judge_many, judge_pairs

FAST = {"backoff_s": 0.01}  # retries without the real backoff's seconds


@pytest.fixture
def judge() -> Iterator[FakeJudge]:
    with running_judge() as fake:
        yield fake


def item(n: int = 1, response: str = "Paris") -> JudgeItem:
    return JudgeItem(
        instruction=f"Question {n}: what is the capital of France?", input="", expected="Paris", response=response
    )


def question_number(prompt: str) -> int:
    match = re.search(r"Question (\d+)", prompt)
    assert match is not None
    return int(match[1])


def always(reply: Scripted) -> Script:
    return lambda prompt, attempt: reply


def test_json_replies_are_scored_in_the_items_order(judge: FakeJudge) -> None:
    # Later questions answer sooner, so the replies come back out of order.
    judge.script = lambda prompt, attempt: Scripted(
        json.dumps({"score": 10 * question_number(prompt), "explanation": f"reply {question_number(prompt)}"}),
        delay_s=0.05 * (6 - question_number(prompt)),
    )
    progress: list[tuple[int, int]] = []

    results = judge_many(judge.endpoint(), [item(n) for n in range(1, 6)], on_progress=lambda *p: progress.append(p))

    assert [(r.score, r.explanation, r.not_judged_reason) for r in results] == [
        (10.0 * n, f"reply {n}", None) for n in range(1, 6)
    ]
    assert progress == [(n, 5) for n in range(1, 6)]
    path, _, body = judge.requests[0]
    assert path == "/v1/chat/completions"
    assert body["model"] == "judge-1" and body["temperature"] == 0
    prompt = body["messages"][0]["content"]
    assert "capital of France" in prompt and "Paris" in prompt and '"score"' in prompt


def test_a_score_line_is_read_when_the_judge_ignores_json(judge: FakeJudge) -> None:
    judge.script = always(Scripted("Score: 73\nRight city, but it rambles."))

    [result] = judge_many(judge.endpoint(), [item()])

    assert (result.score, result.explanation, result.not_judged_reason) == (73.0, "Right city, but it rambles.", None)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("I think this answer is quite good overall, well done to the model.", "no score in the reply: 'I think this"),
        ('{"score": 150, "explanation": "very good"}', "the score 150 is outside 0–100"),
        ('{"explanation": "forgot the score"}', 'no score in the reply: \'{"explanation"'),
    ],
)
def test_a_reply_without_a_usable_score_is_not_judged(judge: FakeJudge, reply: str, reason: str) -> None:
    judge.script = always(Scripted(reply))

    [result] = judge_many(judge.endpoint(), [item()])

    assert result.score is None and result.not_judged_reason is not None
    assert result.not_judged_reason.startswith(reason)
    assert result.prompt_tokens == 10  # the tokens were spent all the same


def test_server_errors_are_retried_then_not_judged(judge: FakeJudge) -> None:
    judge.script = always(Scripted(status=500))

    [result] = judge_many(judge.endpoint(), [item()], retries=2, **FAST)

    assert result.score is None
    assert result.not_judged_reason == "HTTP 500 from the judge (3 attempts)"
    assert len(judge.requests) == 3


def test_a_client_error_is_not_retried(judge: FakeJudge) -> None:
    judge.script = always(Scripted(status=404, error="The model `judge-1` does not exist"))

    [result] = judge_many(judge.endpoint(), [item()], retries=3, **FAST)

    assert result.not_judged_reason == "HTTP 404 from the judge: 'The model `judge-1` does not exist'"
    assert len(judge.requests) == 1


def test_a_429_is_retried_after_the_servers_retry_after(judge: FakeJudge) -> None:
    judge.script = lambda prompt, attempt: (
        Scripted(status=429, headers={"Retry-After": "1"}) if attempt == 1 else Scripted('{"score": 90}')
    )

    started = time.monotonic()
    [result] = judge_many(judge.endpoint(), [item()], **FAST)

    assert result.score == 90.0
    assert time.monotonic() - started >= 0.9  # Retry-After, not the 0.01 s backoff
    assert len(judge.requests) == 2


def test_a_judge_slower_than_the_timeout_is_not_judged(judge: FakeJudge) -> None:
    judge.script = always(Scripted('{"score": 90}', delay_s=0.6))

    [result] = judge_many(judge.endpoint(), [item()], timeout_s=0.15, retries=1, **FAST)

    assert result.score is None
    assert result.not_judged_reason == "timed out after 0.15 s (2 attempts)"
    assert len(judge.requests) == 2


def pair(n: int = 1) -> PairItem:
    return PairItem(instruction=f"Question {n}: name a prime.", input="", answer_a="GOOD: 7", answer_b="BAD: 8")


def test_a_judge_that_prefers_a_position_gives_a_tie(judge: FakeJudge) -> None:
    judge.script = always(Scripted('{"winner": "A", "explanation": "The first one."}'))

    [result] = judge_pairs(judge.endpoint(), [pair()])

    assert (result.winner, result.verdict, result.swapped_verdict) == ("tie", "A", "A")
    assert result.not_judged_reason is None
    assert len(judge.requests) == 2


def test_the_answer_preferred_in_both_orders_wins(judge: FakeJudge) -> None:
    def prefers_good(prompt: str, attempt: int) -> Scripted:
        good_first = prompt.index("GOOD") < prompt.index("BAD")
        return Scripted("Winner: A" if good_first else "B")

    judge.script = prefers_good
    swapped = PairItem(instruction="Question 2: name a prime.", input="", answer_a="BAD: 9", answer_b="GOOD: 11")
    progress: list[tuple[int, int]] = []

    results = judge_pairs(judge.endpoint(), [pair(), swapped], on_progress=lambda *p: progress.append(p))

    assert [(r.winner, r.verdict, r.swapped_verdict) for r in results] == [("a", "A", "B"), ("b", "B", "A")]
    assert progress == [(1, 2), (2, 2)]


def test_a_pair_with_a_failed_order_is_not_judged(judge: FakeJudge) -> None:
    judge.script = lambda prompt, attempt: (
        Scripted("A") if prompt.index("GOOD") < prompt.index("BAD") else Scripted("no idea, both look fine to me")
    )

    [result] = judge_pairs(judge.endpoint(), [pair()])

    assert (result.winner, result.verdict, result.swapped_verdict) == (None, "A", None)
    assert result.not_judged_reason == "swapped: no verdict in the reply: 'no idea, both look fine to me'"


def test_the_api_key_reaches_the_server_and_nowhere_else(judge: FakeJudge, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint = judge.endpoint()
    # A success, a server that quotes the refused key back, a retried 503 and a timeout.
    replies = {
        1: Scripted('{"score": 80, "explanation": "ok"}'),
        2: Scripted(status=401, error=f"Incorrect API key provided: {API_KEY}"),
        3: Scripted(status=503, error=f"overloaded ({API_KEY})"),
        4: Scripted('{"score": 80}', delay_s=0.6),
    }
    judge.script = lambda prompt, attempt: replies[question_number(prompt)]

    results = judge_many(endpoint, [item(n) for n in replies], timeout_s=0.15, retries=1, **FAST)

    assert {headers["Authorization"] for _, headers, _ in judge.requests} == {f"Bearer {API_KEY}"}
    assert [r.score for r in results] == [80.0, None, None, None]
    assert results[1].not_judged_reason == "HTTP 401 from the judge: 'Incorrect API key provided: **********'"
    exposed = [repr(endpoint), str(endpoint), endpoint.model_dump_json(), *map(repr, results), caplog.text]
    assert all(API_KEY not in text for text in exposed)
    assert "POST" in caplog.text  # the calls were logged, just not the key
    with pytest.raises(ValidationError) as refused:
        JudgeEndpoint(base_url="127.0.0.1:8000/v1", model="judge-1", api_key=API_KEY)
    assert "http://" in str(refused.value) and API_KEY not in str(refused.value)


def test_concurrent_calls_are_bounded(judge: FakeJudge) -> None:
    judge.script = always(Scripted('{"score": 60}', delay_s=0.1))

    results = judge_many(judge.endpoint(), [item(n) for n in range(12)], concurrency=3)

    assert [r.score for r in results] == [60.0] * 12
    assert judge.max_in_flight == 3


def test_token_use_is_summed_from_usage(judge: FakeJudge) -> None:
    judge.script = lambda prompt, attempt: (
        Scripted(status=429) if attempt == 1 else Scripted('{"winner": "tie"}', usage=(100 + len(prompt), 7))
    )

    [result] = judge_pairs(judge.endpoint(), [pair()], **FAST)

    prompts = {body["messages"][0]["content"] for _, _, body in judge.requests}
    assert len(prompts) == 2  # both orders, each after a 429 that used no tokens
    assert result.prompt_tokens == sum(100 + len(prompt) for prompt in prompts)
    assert result.completion_tokens == 14


def test_a_custom_rubric_is_used_and_must_have_every_placeholder(judge: FakeJudge) -> None:
    rubric = 'Grade {response} for {instruction} {input} against {expected}. JSON: {"score": 0-100}'
    judge.script = always(Scripted('{"score": 42}'))

    [result] = judge_many(judge.endpoint(), [item(response="Lyon")], rubric=rubric)

    assert result.score == 42.0
    prompt = judge.requests[0][2]["messages"][0]["content"]
    assert prompt.startswith("Grade Lyon for Question 1") and prompt.endswith('JSON: {"score": 0-100}')
    with pytest.raises(ValueError, match=r"lacks the placeholder\(s\) \{expected\}, \{response\}"):
        judge_many(judge.endpoint(), [item()], rubric="Grade the answer to {instruction} {input}.")
    assert len(judge.requests) == 1  # refused before any call


def test_a_members_judge_whose_name_resolves_inside_the_network_is_not_called(judge: FakeJudge) -> None:
    # Saved while the name was public (the save-time check passed); "localhost" is 127.0.0.1 by the time it is called.
    port = judge.url.split(":")[2].split("/")[0]
    member_judge = JudgeEndpoint(base_url=f"http://localhost:{port}/v1", model="judge-1", api_key=API_KEY)
    results = judge_many(member_judge, [item(1), item(2)], **FAST)
    reason = "the judge's address now resolves to 127.0.0.1, a loopback address: only an admin's judge may call it"
    assert [(r.score, r.not_judged_reason) for r in results] == [(None, reason)] * 2
    assert judge.requests == []

    admin_judge = member_judge.model_copy(update={"may_call_internal": True})
    assert [r.score for r in judge_many(admin_judge, [item(1)])] == [50]


def test_the_call_connects_to_the_address_that_was_checked(judge: FakeJudge, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name answers a public address for the check and the judge's own address right after. The
    call goes to the public address (unreachable here), never to what a second lookup would answer."""
    port = int(judge.url.split(":")[2].split("/")[0])
    lookups = 0
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host: str, *args: object, **kwargs: object) -> list[tuple[Any, ...]]:
        nonlocal lookups
        if host != "rebind.test":
            return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]
        lookups += 1
        address = "8.8.8.8" if lookups == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    endpoint = JudgeEndpoint(base_url=f"http://rebind.test:{port}/v1", model="judge-1", api_key=API_KEY)
    [result] = judge_many(endpoint, [item()], timeout_s=0.5, retries=0)
    assert result.score is None
    assert result.not_judged_reason is not None
    assert "could not reach the judge" in result.not_judged_reason or "timed out" in result.not_judged_reason
    assert lookups == 1
    assert judge.requests == []
