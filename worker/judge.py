"""Grading generated answers with another LLM (the "judge") through any OpenAI-compatible chat endpoint.

judge_many scores each answer from 0 to 100 against the expected one; judge_pairs asks which of two answers is better,
in both orders. A call that gives no usable answer (an HTTP error, a timeout, a reply without a score) is a judgement
with `not_judged_reason` and no score, never a 0: averaged in as zeros, the judge's failures would read as the model's.
The rubrics and how a reply is read are in domain.judging.

Both go through an `Ask` (prompts in, replies out, in order): `http_judge` for an endpoint; a judge that is a local
model has its own (worker.tasks.model_judge, over worker.training.local_judge). `grade` and `compare_pairs`
take either.
"""

import email.utils
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from backend.core.addresses import AddressRefused, PublicOnlyTransport
from domain.judging import (
    DEFAULT_RUBRIC,
    PAIRWISE_PLACEHOLDERS,
    PAIRWISE_RUBRIC,
    SCORE_PLACEHOLDERS,
    UnreadableReply,
    Verdict,
    check_rubric,
    fill,
    parse_score,
    parse_verdict,
    quote,
)
from domain.text import plural

log = logging.getLogger(__name__)

# The longest wait between two attempts, whatever Retry-After says: an evaluation should fail a call rather than
# stall for minutes on one.
MAX_WAIT_S = 60.0

Winner = Literal["a", "b", "tie"]
Progress = Callable[[int, int], None]


class JudgeEndpoint(BaseModel):
    """Where the judge is: `base_url` up to the API version (https://api.openai.com/v1), the model, the key."""

    model_config = ConfigDict(frozen=True)

    base_url: str
    model: str
    # SecretStr: shown as '**********' by repr, str and model_dump_json, so a logged endpoint does not leak it.
    api_key: SecretStr
    # Whether it may call inside the studio's network (loopback, private, link-local): only an admin's judge may.
    # Otherwise every call resolves the host, refuses an address that is not public and connects to the one checked.
    may_call_internal: bool = False

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the judge's base_url must start with http:// or https://")
        return value.rstrip("/")


@dataclass(frozen=True)
class JudgeItem:
    instruction: str
    input: str
    expected: str
    response: str


@dataclass(frozen=True)
class PairItem:
    instruction: str
    input: str
    answer_a: str
    answer_b: str


@dataclass(frozen=True)
class Judgement:
    score: float | None  # None when not judged
    explanation: str
    not_judged_reason: str | None
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class PairJudgement:
    # None when not judged; "tie" also when the two orders disagree, the judge then having followed the position.
    winner: Winner | None
    verdict: Verdict | None  # answer_a shown as A
    swapped_verdict: Verdict | None  # answer_b shown as A
    explanation: str
    not_judged_reason: str | None
    prompt_tokens: int  # both orders together
    completion_tokens: int


@dataclass(frozen=True)
class Reply:
    """The judge's text, or why there is none; the tokens as the judge counted them."""

    text: str | None
    failure: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


# Called on the asking thread as each reply comes back: (the prompt's index, how many prompts are answered so far).
# An exception it raises (a cancelled judging) stops the prompts not yet asked and propagates.
Answered = Callable[[int, int], None]
# Every prompt's reply, in the prompts' order.
Ask = Callable[[list[str], Answered], list[Reply]]


def http_judge(
    endpoint: JudgeEndpoint, concurrency: int = 4, timeout_s: float = 30, retries: int = 3, backoff_s: float = 1.0
) -> Ask:
    """Asks an OpenAI-compatible endpoint, at most `concurrency` calls at once. `retries` are per call, after the
    first attempt, waiting `backoff_s`, then twice as long each time (or as the server's Retry-After says)."""
    if concurrency < 1:
        raise ValueError("concurrency must be 1 or more")
    caller = _Caller(endpoint, timeout_s, retries, backoff_s)
    return lambda prompts, answered: _ask_all(caller, prompts, concurrency, answered)


def judge_many(
    endpoint: JudgeEndpoint,
    items: Sequence[JudgeItem],
    rubric: str = DEFAULT_RUBRIC,
    concurrency: int = 4,
    timeout_s: float = 30,
    retries: int = 3,
    on_progress: Progress | None = None,
    backoff_s: float = 1.0,
) -> list[Judgement]:
    """grade() through an endpoint; the other parameters are http_judge's."""
    return grade(http_judge(endpoint, concurrency, timeout_s, retries, backoff_s), items, rubric, on_progress)


def judge_pairs(
    endpoint: JudgeEndpoint,
    items: Sequence[PairItem],
    rubric: str = PAIRWISE_RUBRIC,
    concurrency: int = 4,
    timeout_s: float = 30,
    retries: int = 3,
    on_progress: Progress | None = None,
    backoff_s: float = 1.0,
) -> list[PairJudgement]:
    """compare_pairs() through an endpoint; the other parameters are http_judge's."""
    return compare_pairs(http_judge(endpoint, concurrency, timeout_s, retries, backoff_s), items, rubric, on_progress)


def grade(
    ask: Ask, items: Sequence[JudgeItem], rubric: str = DEFAULT_RUBRIC, on_progress: Progress | None = None
) -> list[Judgement]:
    """A score from 0 to 100 for each item's response, in the items' order. `on_progress(done, total)` is called on
    the caller's thread after each item; an exception it raises (a cancel) stops the calls not yet made."""
    check_rubric(rubric, SCORE_PLACEHOLDERS)
    prompts = [fill(rubric, vars(item)) for item in items]

    def answered(index: int, done: int) -> None:
        if on_progress is not None:
            on_progress(done, len(items))

    return [_judgement(reply) for reply in ask(prompts, answered)]


def compare_pairs(
    ask: Ask, items: Sequence[PairItem], rubric: str = PAIRWISE_RUBRIC, on_progress: Progress | None = None
) -> list[PairJudgement]:
    """Which answer of each pair is better, in the items' order; each pair is asked twice, A and B swapped, and
    counts as done (for `on_progress`) once both are answered."""
    check_rubric(rubric, PAIRWISE_PLACEHOLDERS)
    prompts: list[str] = []
    for item in items:
        values = {"instruction": item.instruction, "input": item.input}
        prompts.append(fill(rubric, {**values, "answer_a": item.answer_a, "answer_b": item.answer_b}))
        prompts.append(fill(rubric, {**values, "answer_a": item.answer_b, "answer_b": item.answer_a}))
    halves = [0] * len(items)
    pairs_done = 0

    def answered(index: int, done: int) -> None:
        nonlocal pairs_done
        halves[index // 2] += 1
        if halves[index // 2] == 2:
            pairs_done += 1
            if on_progress is not None:
                on_progress(pairs_done, len(items))

    replies = ask(prompts, answered)
    return [_pair_judgement(replies[i], replies[i + 1]) for i in range(0, len(replies), 2)]


@dataclass(frozen=True)
class _Retryable:
    failure: str
    retry_after: float | None = None


class _Caller:
    """One attempt after another at a chat completion. Every failure becomes a reason string built here: an httpx
    exception is never kept or re-raised, since its request carries the Authorization header."""

    def __init__(self, endpoint: JudgeEndpoint, timeout_s: float, retries: int, backoff_s: float) -> None:
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s

    def client(self, concurrency: int) -> httpx.Client:
        key = self.endpoint.api_key.get_secret_value()
        # A local server (vLLM, Ollama) may want no key at all.
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        # The timeout bounds connecting and each read: a judge sends its reply once it is written, so in practice
        # it bounds the whole call.
        limits = httpx.Limits(max_connections=concurrency)
        if self.endpoint.may_call_internal:
            return httpx.Client(headers=headers, timeout=self.timeout_s, limits=limits)
        return httpx.Client(headers=headers, timeout=self.timeout_s, transport=PublicOnlyTransport(limits))

    def ask(self, client: httpx.Client, prompt: str) -> Reply:
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            outcome = self._attempt(client, prompt)
            if isinstance(outcome, Reply):
                return outcome
            if attempt == attempts:
                break
            backoff = self.backoff_s * 2 ** (attempt - 1)
            wait = min(backoff if outcome.retry_after is None else outcome.retry_after, MAX_WAIT_S)
            log.info("judge call failed (%s); attempt %d of %d in %.1f s", outcome.failure, attempt + 1, attempts, wait)
            time.sleep(wait)
        return Reply(None, f"{outcome.failure} ({plural(attempts, 'attempt')})")

    def _attempt(self, client: httpx.Client, prompt: str) -> Reply | _Retryable:
        body = {
            "model": self.endpoint.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
        }
        try:
            response = client.post(f"{self.endpoint.base_url}/chat/completions", json=body)
        except AddressRefused as exc:
            return Reply(
                None,
                f"the judge's address now resolves to {exc.internal.address}, {exc.internal.kind}: only an admin's "
                "judge may call it",
            )
        except httpx.TimeoutException:
            return _Retryable(f"timed out after {self.timeout_s:g} s")
        # A dropped connection is worth another try; a malformed URL or request is not.
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            return _Retryable(self._redact(f"could not reach the judge: {type(exc).__name__}: {exc}"))
        except httpx.HTTPError as exc:
            return Reply(None, self._redact(f"could not call the judge: {type(exc).__name__}: {exc}"))
        status = response.status_code
        if status == 429 or status >= 500:
            return _Retryable(f"HTTP {status} from the judge", _retry_after(response))
        if not response.is_success:
            return Reply(None, self._redact(f"HTTP {status} from the judge: {_error_message(response)}"))
        return self._read(response)

    def _read(self, response: httpx.Response) -> Reply:
        try:
            data = response.json()
            text = data["choices"][0]["message"]["content"]
        except (ValueError, LookupError, TypeError):
            return Reply(None, self._redact(f"the judge's reply is not a chat completion: {quote(response.text)}"))
        usage = data.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        tokens = _count(usage, "prompt_tokens"), _count(usage, "completion_tokens")
        if not isinstance(text, str):
            return Reply(None, "the judge's reply has no text", *tokens)
        return Reply(text, None, *tokens)

    def _redact(self, text: str) -> str:
        # Some servers quote the key they refused in their error message.
        key = self.endpoint.api_key.get_secret_value()
        return text.replace(key, "**********") if key else text


def _ask_all(
    caller: _Caller, prompts: list[str], concurrency: int, answered: Callable[[int, int], None]
) -> list[Reply]:
    """Every prompt's reply, in order, at most `concurrency` calls at once; `answered(index, done)` is called on
    this thread as each comes back."""
    replies: list[Reply] = [Reply(None)] * len(prompts)
    with caller.client(concurrency) as client:
        pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="judge")
        try:
            futures = {pool.submit(caller.ask, client, prompt): index for index, prompt in enumerate(prompts)}
            for done, future in enumerate(as_completed(futures), start=1):
                replies[futures[future]] = future.result()
                answered(futures[future], done)
        finally:
            # After an exception (from `answered`, say) the calls not yet started are dropped, not made.
            pool.shutdown(cancel_futures=True)
    return replies


def _judgement(reply: Reply) -> Judgement:
    tokens = {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens}
    if reply.text is None:
        return Judgement(None, "", reply.failure, **tokens)
    try:
        score, explanation = parse_score(reply.text)
    except UnreadableReply as exc:
        return Judgement(None, "", str(exc), **tokens)
    return Judgement(score, explanation, None, **tokens)


def _pair_judgement(first: Reply, swapped: Reply) -> PairJudgement:
    verdict, explanation, failure = _verdict(first)
    swapped_verdict, swapped_explanation, swapped_failure = _verdict(swapped)
    winner: Winner | None = None
    if verdict is not None and swapped_verdict is not None:
        # A judge that changes its mind when the answers change places was following the position: no preference.
        given, unswapped = _AS_GIVEN[verdict], _SWAPPED_BACK[swapped_verdict]
        winner = given if given == unswapped else "tie"
    return PairJudgement(
        winner=winner,
        verdict=verdict,
        swapped_verdict=swapped_verdict,
        explanation="\n".join(_by_order(explanation, swapped_explanation)),
        not_judged_reason="; ".join(_by_order(failure, swapped_failure)) or None,
        prompt_tokens=first.prompt_tokens + swapped.prompt_tokens,
        completion_tokens=first.completion_tokens + swapped.completion_tokens,
    )


_AS_GIVEN: dict[Verdict, Winner] = {"A": "a", "B": "b", "tie": "tie"}
_SWAPPED_BACK: dict[Verdict, Winner] = {"A": "b", "B": "a", "tie": "tie"}  # answer_b was shown as A


def _by_order(first: str | None, swapped: str | None) -> list[str]:
    return [f"{order}: {text}" for order, text in (("in the given order", first), ("swapped", swapped)) if text]


def _verdict(reply: Reply) -> tuple[Verdict | None, str, str | None]:
    """(verdict, explanation, why there is no verdict)."""
    if reply.text is None:
        return None, "", reply.failure
    try:
        verdict, explanation = parse_verdict(reply.text)
    except UnreadableReply as exc:
        return None, "", str(exc)
    return verdict, explanation, None


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds ("2") or as an HTTP date; None when absent or unreadable."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_message(response: httpx.Response) -> str:
    """The OpenAI-style {"error": {"message": ...}}, or the start of the body."""
    try:
        message = response.json()["error"]["message"]
    except (ValueError, LookupError, TypeError):
        message = None
    return quote(message if isinstance(message, str) else response.text, limit=200)


def _count(usage: dict[str, Any], name: str) -> int:
    value = usage.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
