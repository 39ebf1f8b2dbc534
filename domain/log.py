"""The kinds of line in a run's log. The worker writes them, the API serves them, the UI filters on them."""

from enum import StrEnum


class LogKind(StrEnum):
    """What a run's log line is about. Progress lines are many and short-lived; the other kinds are what a user reads
    the log for, so a UI can hide progress and keep the rest."""

    PROGRESS = "progress"  # how far the run got: tokenising, loading the model, answering prompts 1-8 of 12
    INFO = "info"  # a fact worth keeping: a measured loss, the trainable parameters, the saved adapter
    WARNING = "warning"  # something to check: truncated or skipped examples, a setting that has no effect here
    RESUME = "resume"  # continuing from a checkpoint after a lost worker or an out-of-memory retry
    PREFLIGHT = "preflight"  # the pre-flight's measurements: memory, seconds per step, the estimated duration
    OOM_RETRY = "oom_retry"  # out of memory: retrying with a smaller micro-batch and the same effective batch
    OVERFITTING = "overfitting"  # validation loss rising while training loss falls
    STOPPED = "stopped"  # training ended before its last step: early stopping, the loss watchdog, a cancel
    ERROR = "error"  # the run failed, and why
