"""A real HTTP server that receives webhooks, its answers scripted per delivery: the receiving end in tests."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay_s: float = 0.0


# (the how-manieth delivery this is, from 1) -> the answer
Script = Callable[[int], Answer]


class Receiver:
    def __init__(self, url: str) -> None:
        self.url = url
        self.script: Script = lambda _count: Answer()
        self.received: list[Received] = []
        self.lock = threading.Lock()


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A Receiver listening on a free local port until the block ends; by default it answers 200 to everything."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.received.append(Received(dict(self.headers), body))
                count = len(receiver.received)
            answer = receiver.script(count)
            time.sleep(answer.delay_s)
            try:
                self.send_response(answer.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (the timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/studio")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
