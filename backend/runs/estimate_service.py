"""Before a run is queued: its peak memory against the memory of the training workers that may take it, and its
duration at a measured throughput.

The arithmetic is domain.estimate (pure Python: the API never imports torch). The hyperparameters are
resolved as creating the run resolves them, and the sequence length comes from the dataset's real token lengths
with the base model's tokenizer, as a light worker counts them for the dataset's token statistics. The workers are
the live training workers of the registry (backend.workers.service), each compared on its own device; with none
running, this machine's memory stands in, assuming CPU.
"""

import statistics
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.ownership import owned_by
from backend.base_models.service import model_config
from backend.core.config import get_settings
from backend.core.errors import Invalid, StudioError
from backend.datasets.token_stats_service import request_stats, stats_key
from backend.models import BaseModelEntry, Dataset, Metric, Run, RunStatus, User, Worker
from backend.runs.estimate_schemas import (
    ComparedWorker,
    EstimateOut,
    EstimateRequest,
    MemoryBreakdownOut,
    Verdict,
)
from backend.runs.resolution import ResolvedRun, resolve_run
from backend.workers.service import list_live_workers
from domain import machine
from domain.config import TrainingConfig
from domain.estimate import (
    HEADROOM_SHARE,
    Device,
    HardwareChoice,
    MemoryEstimate,
    choose_hardware,
    estimate_seconds,
    format_bytes,
    peak_seq_len,
    scored_share,
    training_tokens,
)
from domain.text import plural

PENDING = "the token lengths are still being counted"

NO_WORKER_NOTE = (
    "No training worker is running: the run will wait in the queue until one starts. Meanwhile the estimate assumes "
    "CPU training (LoRA on float32 weights) and compares with this machine's memory: in the default embedded setup "
    "the API and the worker share it. Measured peaks on CPU have been within 25% of the estimate."
)
# What happens to a run that lands on a worker too small for it.
TOO_SMALL = {
    "cuda": "on a too-small GPU it runs out of memory, then retries with smaller micro-batches (at most twice)",
    "cpu": "on a too-small CPU worker the system may kill the worker, and the run is queued again "
    "(at most {attempts} attempts)",
}
DEVICE_NOTES = {
    "cpu": "on CPU the figure is resident memory, and measured peaks have been within 25% of it",
    "cuda": "on CUDA it is the allocator's peak, plus 0.5 GB of CUDA context when compared with a GPU's memory; "
    "on an H200 the peak was within 5% of measured ones at batch 8, 35% under at batch 32 with checkpointing",
}


class TokenLengths(NamedTuple):
    lengths: list[int] | None
    answer_lengths: list[int] | None  # None also for counts made before answers were counted
    missing_because: str  # why there are none; "" when there are


def token_lengths_of(session: Session, dataset: Dataset, base_model: str, config: TrainingConfig) -> TokenLengths:
    """Every example's token count as the trainer tokenises it, once a light worker has counted them.

    Until then (the first ask queues the count), and when the tokenizer cannot be read here, None with the reason:
    the estimate falls back to max_seq_length. A template that cannot render a row raises that error, as the token statistics do.
    """
    try:
        key = stats_key(
            session, dataset, base_model=base_model, template=config.template, custom_template=config.custom_template
        )
    except StudioError:
        return TokenLengths(None, None, "the base model's tokenizer is not available here")
    stats = request_stats(session, key)
    if stats.lengths is None:
        return TokenLengths(None, None, PENDING)
    return TokenLengths(stats.lengths, stats.answer_lengths, "")


def measured_tokens_per_second(session: Session, user: User, base_model: str) -> float | None:
    run_id = session.scalar(
        select(Run.id)
        .where(owned_by(user, Run.owner_id), Run.base_model == base_model, Run.status == RunStatus.SUCCEEDED)
        .order_by(Run.finished_at.desc(), Run.id.desc())
        .limit(1)
    )
    if run_id is None:
        return None
    values = list(
        session.scalars(select(Metric.value).where(Metric.run_id == run_id, Metric.name == "tokens_per_second"))
    )
    return statistics.median(values) if values else None


def _suggestions(
    model: dict[str, Any],
    config: TrainingConfig,
    seq_len: int,
    share: float,
    validation: int,
    available: int,
    device: Device,
) -> list[str]:
    """Changes that bring the estimate on `device` under `available`: the largest smaller batch, checkpointing, or
    both."""

    def fits(**update: Any) -> bool:
        changed = config.model_copy(update=update)
        choice = choose_hardware(
            model,
            changed,
            device=device,
            memory_bytes=available,
            seq_len=seq_len,
            validation_examples=validation,
            scored_share=share,
        )
        return choice.estimate.device_bytes <= available

    batch = config.per_device_train_batch_size
    smaller = [b for b in (batch // 2, batch // 4, batch // 8, batch // 16, 1) if 1 <= b < batch]
    ideas = []
    fitting_batch = next((b for b in smaller if fits(per_device_train_batch_size=b)), None)
    if fitting_batch is not None:
        ideas.append(f"batch {fitting_batch}")
    if not config.gradient_checkpointing:
        if fits(gradient_checkpointing=True):
            ideas.append("gradient checkpointing")
        elif fitting_batch is None:
            both = next((b for b in smaller if fits(per_device_train_batch_size=b, gradient_checkpointing=True)), None)
            if both is not None:
                ideas.append(f"batch {both} with gradient checkpointing")
    bigger = "a GPU with more memory" if device == "cuda" else "a GPU worker with QLoRA"
    return ideas or [f"a shorter max_seq_length, a smaller model, or {bigger}"]


class Comparison(NamedTuple):
    available: int
    fits: bool
    verdict: Verdict
    warning: str | None
    note: str


def _compare_with_this_machine(estimate: MemoryEstimate, suggest: Callable[[int, Device], list[str]]) -> Comparison:
    available = machine.memory_bytes()
    needs, has = format_bytes(estimate.device_bytes), format_bytes(available)
    if estimate.device_bytes > available:
        warning = f"will not fit: needs {needs}, this machine has {has}; try {' or '.join(suggest(available, 'cpu'))}"
        return Comparison(available, False, "wont_fit", warning, NO_WORKER_NOTE)
    if estimate.device_bytes > HEADROOM_SHARE * available:
        warning = f"may not fit: needs about {needs} of this machine's {has}, and the estimate can be 25% off"
        return Comparison(available, True, "tight", warning, NO_WORKER_NOTE)
    return Comparison(available, True, "fits", None, NO_WORKER_NOTE)


def _names(workers: list[ComparedWorker]) -> dict[str, str]:
    """How messages name each worker: its hostname, with its id when several share a host."""
    hosts = [w.hostname for w in workers]
    return {
        w.worker_id: w.hostname if hosts.count(w.hostname) == 1 else f"{w.hostname} ({w.worker_id})" for w in workers
    }


def _compare_with_workers(
    compared: list[ComparedWorker], device: Device, suggest: Callable[[int, Device], list[str]]
) -> Comparison:
    name = _names(compared)
    n = len(compared)
    workers = f"{n} training workers" if n > 1 else "the training worker"
    devices = sorted({w.device for w in compared})
    note = (
        f"Compared with {'each of ' if n > 1 else ''}{workers} running now, on its own device: "
        + "; ".join(DEVICE_NOTES[d] for d in devices)
        + "."
    )
    available = min(w.memory_bytes for w in compared if w.device == device)
    too_small = [w for w in compared if not w.fits]

    def shortfall(w: ComparedWorker) -> str:
        return (
            f"{name[w.worker_id]} has {format_bytes(w.memory_bytes)} ({w.device}), needs {format_bytes(w.needs_bytes)}"
        )

    if len(too_small) == n:
        # Suggest what fits on the worker with the most room to spare.
        roomiest = max(compared, key=lambda w: w.memory_bytes - w.needs_bytes)
        ideas = " or ".join(suggest(roomiest.memory_bytes, roomiest.device))
        where = "any of the " + workers if n > 1 else workers
        warning = f"will not fit on {where}: {shortfall(roomiest)}; try {ideas}"
        return Comparison(available, False, "wont_fit", warning, note)
    if too_small:
        tightest = min(too_small, key=lambda w: w.memory_bytes - w.needs_bytes)
        ideas = " or ".join(suggest(tightest.memory_bytes, tightest.device))
        warning = (
            f"fits on {n - len(too_small)} of {n} training workers; too small: "
            + "; ".join(shortfall(w) for w in too_small)
            + ". A run goes to whichever worker is free: "
            + "; ".join(
                TOO_SMALL[d].format(attempts=get_settings().max_attempts) for d in sorted({w.device for w in too_small})
            )
            + f". To fit on every worker, try {ideas}"
        )
        return Comparison(available, False, "some_too_small", warning, note)
    tight = [w for w in compared if w.needs_bytes > HEADROOM_SHARE * w.memory_bytes]
    if tight:
        w = max(tight, key=lambda w: w.needs_bytes / w.memory_bytes)
        on = f" (tight on {len(tight)} of {n} training workers)" if n > 1 else ""
        warning = (
            f"may not fit: needs about {format_bytes(w.needs_bytes)} of {name[w.worker_id]}'s "
            f"{format_bytes(w.memory_bytes)}{on}, and the estimate can be 25% off"
        )
        return Comparison(available, True, "tight", warning, note)
    return Comparison(available, True, "fits", None, note)


def _device(worker: Worker) -> Device:
    return "cuda" if worker.device == "cuda" else "cpu"


def estimate_run(session: Session, user: User, request: EstimateRequest) -> EstimateOut:
    return _estimate(session, user, resolve_run(session, user, request))


def estimate_for_run(session: Session, user: User, run: Run) -> EstimateOut | None:
    """A queued run's estimate against the workers live now, from what it was created with; None for a hub id (no
    config.json here to estimate from)."""
    base_model = session.scalars(select(BaseModelEntry).where(BaseModelEntry.name == run.base_model)).one()
    if base_model.source == "hub":
        return None
    config = TrainingConfig.model_validate(run.config)
    dataset = session.get_one(Dataset, run.dataset_id)
    return _estimate(session, user, ResolvedRun(dataset, base_model, None, config, None))


def refuse_if_it_fits_nowhere(session: Session, user: User, resolved: ResolvedRun) -> None:
    """Refuse a run that the estimate says fits on none of the live training workers: it would only run out of
    memory (again on each retry). Not while the token lengths are being counted (the figure from max_seq_length is a
    worst case), nor with no worker running (the one that starts may be bigger), nor for a hub id (no config here).
    The request's `force` skips this: the estimate can be 25% off."""
    if resolved.model_config is None or not list_live_workers(session, training_only=True):
        return
    estimate = _estimate(session, user, resolved)
    if estimate.verdict == "wont_fit" and not estimate.token_lengths_pending:
        raise Invalid(
            f"the run {estimate.warning}; or send force: true to queue it anyway",
            field="hyperparameters.per_device_train_batch_size",
        )


def _estimate(session: Session, user: User, resolved: ResolvedRun) -> EstimateOut:
    dataset, base_model, config = resolved.dataset, resolved.base_model, resolved.config
    # A hub id has no config.json here: refused, there is nothing to estimate from.
    model = resolved.model_config if resolved.model_config is not None else model_config(base_model, "estimating")
    lengths, answer_lengths, missing_because = token_lengths_of(session, dataset, base_model.name, config)
    max_len = config.max_seq_length
    seq_len = peak_seq_len(lengths, config)
    share = scored_share(lengths, answer_lengths, config)
    if config.packing:
        source = f"max_seq_length ({max_len}): packed sequences fill it"
    elif lengths and config.padding_free:
        batch = min(config.per_device_train_batch_size, len(lengths))
        # A padding-free batch holds only its examples' tokens: the peak is the batch of the longest examples.
        source = f"the {plural(batch, 'longest example')} (a padding-free batch: {seq_len} tokens each on average)"
    elif lengths:
        longest = max(lengths)
        # The peak comes from the batch holding the longest example: every batch is padded to its longest row.
        source = f"the longest example ({plural(longest, 'token')})" + (
            f", cut to max_seq_length {max_len}" if longest > max_len else ""
        )
    else:
        source = f"max_seq_length ({max_len}): {missing_because}"
    if share < 1:
        source += f"; the LM head scores only the answer tokens, {share:.0%} of them"

    choices: dict[tuple[Device, int], HardwareChoice] = {}

    def choice_on(device: Device, memory: int) -> HardwareChoice:
        """What the worker will choose on a device with that memory (method auto depends on it)."""
        if (device, memory) not in choices:
            choices[device, memory] = choose_hardware(
                model,
                config,
                device=device,
                memory_bytes=memory,
                seq_len=seq_len,
                validation_examples=dataset.num_validation,
                scored_share=share,
            )
        return choices[device, memory]

    workers = list_live_workers(session, training_only=True)
    # The breakdown shown is for a GPU when there is one, and for the smallest one (whose memory is available_bytes).
    device: Device = "cuda" if any(_device(w) == "cuda" for w in workers) else "cpu"
    compared = []
    for w in workers:
        on_worker = choice_on(_device(w), w.memory_bytes)
        compared.append(
            ComparedWorker(
                worker_id=w.id,
                hostname=w.hostname,
                device=_device(w),
                device_name=w.device_name,
                memory_bytes=w.memory_bytes,
                method=on_worker.hardware.method,
                needs_bytes=on_worker.estimate.device_bytes,
                fits=on_worker.estimate.device_bytes <= w.memory_bytes,
            )
        )
    shown = choice_on(
        device, min((w.memory_bytes for w in compared if w.device == device), default=machine.memory_bytes())
    )
    estimate = shown.estimate

    def suggest(available: int, on: Device) -> list[str]:
        return _suggestions(model, config, seq_len, share, dataset.num_validation, available, on)

    comparison = (
        _compare_with_workers(compared, device, suggest) if compared else _compare_with_this_machine(estimate, suggest)
    )
    tokens = training_tokens(lengths, dataset.num_train, config) if lengths else None
    throughput = measured_tokens_per_second(session, user, base_model.name)
    return EstimateOut(
        device=device,
        compared_with=compared,
        method=estimate.method,
        method_reason=shown.reason,
        seq_len_used=seq_len,
        seq_len_source=source,
        token_lengths_pending=missing_because == PENDING,
        breakdown=MemoryBreakdownOut(**asdict(estimate.breakdown)),
        total_bytes=estimate.total_bytes,
        context_bytes=estimate.context_bytes,
        available_bytes=comparison.available,
        fits=comparison.fits,
        verdict=comparison.verdict,
        warning=comparison.warning,
        note=comparison.note,
        total_parameters=estimate.total_parameters,
        trainable_parameters=estimate.trainable_parameters,
        train_tokens=tokens,
        tokens_per_second=throughput,
        estimated_seconds=estimate_seconds(tokens, throughput) if tokens is not None and throughput else None,
    )
