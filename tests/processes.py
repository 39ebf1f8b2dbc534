"""Real studio processes (API server, Celery worker) for tests that cross process boundaries."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TypeVar

import httpx

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _process(args: list[str], env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, cwd=REPO, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def celery_worker(
    env: dict[str, str], log_path: Path, queue: Literal["training", "light"] = "training"
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker of one queue, started as the Procfile starts it: `training` (one run at a time; imports torch, so
    it takes seconds to start) or `light` (token counts, two threads, no torch)."""
    if queue == "training":
        args = [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "--pool=solo"]
    else:
        args = [sys.executable, "-m", "celery", "-A", "worker.celery_app:light_app", "worker"]
        args += ["--pool=threads", "--concurrency=2"]
    args += [f"--queues={queue}", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    with _process(args, env, log_path) as process:
        yield process


@contextmanager
def redis_server(port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A throwaway Redis of this test's own on `port`, to stop and start again (never the machine's shared one)."""
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with _process([*args, "--daemonize", "no"], {}, log_path) as process:
        poll(lambda: True if _listening(port) else None, timeout=20, what=f"redis on port {port}", log_path=log_path)
        yield process


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def poll(check: Callable[[], T | None], *, timeout: float, what: str, log_path: Path | None = None) -> T:
    """`check()`'s first answer that is not None, asked every 0.2 s; fails after `timeout` seconds saying `what`
    it waited for (with the worker's log, when given)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer is not None:
            return answer
        if time.monotonic() > deadline:
            log = f"; log:\n{log_path.read_text()}" if log_path and log_path.is_file() else ""
            raise AssertionError(f"waited {timeout:g} s for {what}{log}")
        time.sleep(0.2)


def wait_until_ready(log_path: Path, timeout: float = 120) -> None:
    """Until the worker logging to `log_path` consumes its queues (a training worker imports torch first)."""
    poll(
        lambda: True if log_path.is_file() and " ready." in log_path.read_text() else None,
        timeout=timeout,
        what="the worker to be ready",
        log_path=log_path,
    )


@contextmanager
def api_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "backend.main:app", "--host", "127.0.0.1", "--port", str(port)]
    with _process(args, env, log_path) as process:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"API exited early:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"API did not answer within 60 s:\n{log_path.read_text()}")
        yield base_url
