"""Out-of-memory retries of a run: a smaller micro-batch with the same effective batch, from the latest checkpoint."""

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from domain.config import TrainingConfig
from domain.log import LogKind
from worker import run_store
from worker.leases import Lease
from worker.sinks import DatabaseSink
from worker.training.memory import release_memory
from worker.training.oom import BatchSettings, is_out_of_memory, next_batch_settings, retry_message
from worker.training.types import RunPaths

T = TypeVar("T")


class OomRetry:
    """Runs training attempts (the pre-flight, then the run) and retries one that runs out of memory, at most
    MAX_OOM_RETRIES times over the whole run (see worker.training.oom.next_batch_settings).

    A retry says so in the run's log, stores the new settings in the run's config (fenced by the lease) so the config
    shows what actually trained, and continues from the run's latest checkpoint, or starts over without the failed
    attempt's metrics. `config` and `paths` are those the next attempt gets.
    """

    def __init__(self, lease: Lease, sink: DatabaseSink, config: TrainingConfig, paths: RunPaths) -> None:
        self.lease = lease
        self.sink = sink
        self.config = config
        self.paths = paths
        self.retries = 0

    def run(self, attempt: Callable[[TrainingConfig, RunPaths], T]) -> T:
        while True:
            try:
                return attempt(self.config, self.paths)
            except Exception as exc:
                current = BatchSettings(
                    self.config.per_device_train_batch_size, self.config.gradient_accumulation_steps
                )
                smaller = next_batch_settings(current, self.retries) if is_out_of_memory(exc) else None
                if smaller is None:
                    raise
            # Out of the except block, the exception and the failed attempt's frames (model, optimiser state) are gone,
            # so their memory can be given back before the next attempt loads the model again.
            release_memory()
            self._shrink(current, smaller)

    def _shrink(self, before: BatchSettings, after: BatchSettings) -> None:
        self.retries += 1
        self.sink.flush()  # the failed attempt's points are in before prepare_resume removes those after the checkpoint
        self.sink.log(retry_message(before, after, self.retries), LogKind.OOM_RETRY)
        changes = {
            "per_device_train_batch_size": after.batch_size,
            "gradient_accumulation_steps": after.accumulation,
            # Validation batches need no gradients, but an out-of-memory error there would use up a retry too.
            "per_device_eval_batch_size": min(self.config.per_device_eval_batch_size, after.batch_size),
        }
        self.config = self.config.model_copy(update=changes)
        run_store.update_config(self.lease.run_id, self.lease.owner, changes)
        resume = run_store.prepare_resume(self.lease.run_id)
        self.sink.step = resume.step if resume else None  # the log goes on from where training goes on
        if resume is not None:
            self.sink.log(f"resuming from the checkpoint at step {resume.step}", LogKind.RESUME)
        self.paths = replace(
            self.paths,
            resume_from=resume.checkpoint_dir if resume else None,
            base_eval_loss=resume.base_eval_loss if resume else None,
            unquantised_base_eval_loss=resume.unquantised_base_eval_loss if resume else None,
        )
