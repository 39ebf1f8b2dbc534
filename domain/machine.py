"""What this machine (or its container) has: memory, CPUs, the CPU's model. Torch-free, so the API process, the light
workers and the training workers all read them the same way."""

import math
import os
import platform
from pathlib import Path

MEMINFO = Path("/proc/meminfo")
CPUINFO = Path("/proc/cpuinfo")
CGROUP_MEMORY_MAX = Path("/sys/fs/cgroup/memory.max")
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def memory_bytes() -> int:
    """MemTotal, or the cgroup limit when a container has a lower one."""
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    if MEMINFO.is_file():
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemTotal:"):
                total = int(line.split()[1]) * 1024
    if CGROUP_MEMORY_MAX.is_file():
        limit = CGROUP_MEMORY_MAX.read_text().strip()  # "max" when unlimited
        if limit.isdigit() and (total == 0 or int(limit) < total):
            total = int(limit)
    return total


def cpu_count() -> int:
    """The CPUs this process may run on, or fewer when a container's CPU quota says so (cpu.max: quota period)."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if CGROUP_CPU_MAX.is_file():
        quota, _, period = CGROUP_CPU_MAX.read_text().partition(" ")
        if quota.isdigit() and period.strip().isdigit() and int(period) > 0:
            count = min(count, max(1, math.ceil(int(quota) / int(period))))
    return count


def cpu_name() -> str:
    """The CPU's model as the kernel names it ("AMD EPYC 7B13"); the architecture when it does not say."""
    if CPUINFO.is_file():
        for line in CPUINFO.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine() or "unknown CPU"
