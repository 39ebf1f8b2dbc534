"""What the worker reads of its machine: the threads CPU math uses."""

import os
from pathlib import Path

import psutil
import pytest
import torch

from worker.training.hardware import cpu_threads, use_cpu_threads


@pytest.fixture
def cores() -> int:
    """Physical cores this process may run on, as the worker counts them without a quota."""
    allowed = len(os.sched_getaffinity(0))
    return min(allowed, psutil.cpu_count(logical=False) or allowed)


def quota(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cpu.max"
    path.write_text(text)
    return path


def test_one_thread_per_physical_core_without_a_quota(tmp_path: Path, cores: int) -> None:
    assert cpu_threads(quota(tmp_path, "max 100000\n")) == cores
    assert cpu_threads(tmp_path / "absent") == cores  # no cgroup v2


def test_a_container_quota_caps_the_threads(tmp_path: Path, cores: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # A host with 64 physical cores, all allowed, and a container limited to 1.5 CPUs: torch would start 64 threads.
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(128)))
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 64 if not logical else 128)
    assert cpu_threads(quota(tmp_path, "150000 100000\n")) == 2  # a partly used CPU still gets its thread
    assert cpu_threads(quota(tmp_path, "50000 100000\n")) == 1
    assert cpu_threads(quota(tmp_path, "max 100000\n")) == 64  # not the 128 hyper-threads


def test_use_cpu_threads_sets_torch() -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        use_cpu_threads()
        assert torch.get_num_threads() == cpu_threads()
    finally:
        torch.set_num_threads(before)
