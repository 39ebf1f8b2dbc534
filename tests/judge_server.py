"""A real HTTP server that speaks OpenAI's /v1/chat/completions, its replies scripted per prompt: the LLM judge's
counterpart in tests (worker, task and API tests)."""

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from worker.judge import JudgeEndpoint

API_KEY = "sk-test-7f3a9c-do-not-leak"


@dataclass
class Scripted:
    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    usage: tuple[int, int] = (10, 5)
    error: str = ""  # the body of an error reply


# (the prompt, how many times the server has seen that prompt, this one included) -> the reply
Script = Callable[[str, int], Scripted]


class FakeJudge:
    def __init__(self, url: str) -> None:
        self.url = url
        self.script: Script = lambda prompt, attempt: Scripted('{"score": 50, "explanation": "fine"}')
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []  # path, headers, body
        self.attempts: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def endpoint(self, api_key: str = API_KEY, may_call_internal: bool = True) -> JudgeEndpoint:
        """An admin's judge by default: a member's may not call 127.0.0.1."""
        return JudgeEndpoint(base_url=self.url, model="judge-1", api_key=api_key, may_call_internal=may_call_internal)


@contextmanager
def running_judge() -> Iterator[FakeJudge]:
    """A FakeJudge listening on a free local port until the block ends; by default it scores every answer 50."""
    fake: FakeJudge

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = body["messages"][-1]["content"]
            with fake.lock:
                fake.requests.append((self.path, dict(self.headers), body))
                fake.attempts[prompt] += 1
                attempt = fake.attempts[prompt]
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            try:
                reply = fake.script(prompt, attempt)
                time.sleep(reply.delay_s)
                self._send(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)
            finally:
                with fake.lock:
                    fake.in_flight -= 1

        def _send(self, reply: Scripted) -> None:
            if reply.status == 200:
                prompt_tokens, completion_tokens = reply.usage
                payload = json.dumps(
                    {
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content}}],
                        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
                    }
                ).encode()
            else:
                payload = json.dumps({"error": {"message": reply.error or "scripted failure"}}).encode()
            self.send_response(reply.status)
            for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeJudge(f"http://127.0.0.1:{server.server_address[1]}/v1")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
