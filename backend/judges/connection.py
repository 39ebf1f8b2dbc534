"""One test call to a judge's endpoint, for "test connection": does it answer, and with a score we can read?

A single short call from the API; the judgings themselves are made by a worker (worker.judge), with retries.
"""

import time

import httpx

from backend.core.addresses import AddressRefused, PublicOnlyTransport
from backend.judges.schemas import JudgeCheckOut
from domain.judging import UnreadableReply, parse_score, quote

TIMEOUT_S = 20.0
TEST_PROMPT = (
    'This is a connection test. Reply with this JSON object and nothing else: {"score": 100, "explanation": "ok"}'
)


def check_endpoint(base_url: str, model: str, api_key: str, *, may_call_internal: bool) -> JudgeCheckOut:
    """`may_call_internal`: the judge's owner is an admin; else the call goes to public addresses only, as the
    worker's do (backend.core.addresses)."""
    started = time.monotonic()

    def result(ok: bool, detail: str, reply: str | None = None) -> JudgeCheckOut:
        # Some servers quote the key they refused in their error message.
        detail = detail.replace(api_key, "**********") if api_key else detail
        return JudgeCheckOut(ok=ok, detail=detail, reply=reply, seconds=round(time.monotonic() - started, 3))

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    body = {"model": model, "messages": [{"role": "user", "content": TEST_PROMPT}], "temperature": 0}
    transport = None if may_call_internal else PublicOnlyTransport(httpx.Limits())
    try:
        with httpx.Client(transport=transport, timeout=TIMEOUT_S) as client:
            response = client.post(f"{base_url}/chat/completions", json=body, headers=headers)
    except AddressRefused as exc:
        return result(
            False,
            f"{exc.host} now resolves to {exc.internal.address}, {exc.internal.kind}: only an admin's judge may call it",
        )
    except httpx.TimeoutException:
        return result(False, f"the judge did not answer within {TIMEOUT_S:g} s")
    except httpx.HTTPError as exc:  # the exception is not kept: its request carries the Authorization header
        return result(False, f"could not reach the judge: {type(exc).__name__}: {exc}")
    if not response.is_success:
        return result(False, f"HTTP {response.status_code} from the judge: {_error_message(response)}")
    try:
        text = response.json()["choices"][0]["message"]["content"]
    except (ValueError, LookupError, TypeError):
        return result(False, f"the reply is not a chat completion: {quote(response.text)}")
    if not isinstance(text, str):
        return result(False, "the reply has no text")
    reply = text[:500]
    try:
        parse_score(text)
    except UnreadableReply as exc:
        return result(False, f"the judge answered, but its answers would be 'not judged': {exc}", reply)
    return result(True, f"{model} answered with a score", reply)


def _error_message(response: httpx.Response) -> str:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, LookupError, TypeError):
        message = None
    return quote(message if isinstance(message, str) else response.text, limit=200)
