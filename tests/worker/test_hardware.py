"""What the worker reads of its machine: the threads CPU math uses."""

import os
from pathlib import Path

import psutil
import pytest
import torch

from domain import machine
from worker.training.hardware import cpu_threads, use_cpu_threads


def quota(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str | None) -> None:
    """This container's cgroup v2 CPU quota (None: no cpu.max, as outside cgroup v2)."""
    path = tmp_path / "cpu.max"
    if text is not None:
        path.write_text(text)
    monkeypatch.setattr(machine, "CGROUP_CPU_MAX", path)


def test_one_thread_per_physical_core_without_a_quota(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    allowed = len(os.sched_getaffinity(0))
    cores = min(allowed, psutil.cpu_count(logical=False) or allowed)
    quota(monkeypatch, tmp_path, "max 100000\n")
    assert cpu_threads() == cores
    quota(monkeypatch, tmp_path, None)
    assert cpu_threads() == cores


def test_a_container_quota_caps_the_threads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A host with 64 physical cores, all allowed, and a container limited to 1.5 CPUs: torch would start 64 threads.
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(128)))
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 64 if not logical else 128)
    quota(monkeypatch, tmp_path, "150000 100000\n")
    assert cpu_threads() == 2  # a partly used CPU still gets its thread
    quota(monkeypatch, tmp_path, "50000 100000\n")
    assert cpu_threads() == 1
    quota(monkeypatch, tmp_path, "max 100000\n")
    assert cpu_threads() == 64  # not the 128 hyper-threads


def test_use_cpu_threads_sets_torch() -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        use_cpu_threads()
        assert torch.get_num_threads() == cpu_threads()
    finally:
        torch.set_num_threads(before)
