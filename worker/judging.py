"""A judging from start to end, whoever answers: claimed, its inputs read, the judge asked (progress written, a
cancel obeyed), its results written. The tasks (worker.light_tasks for an endpoint, worker.tasks for a base model)
only say how the judge is asked."""

import logging
import time
from collections.abc import Callable

from backend.core.config import get_settings
from backend.models import JudgingKind
from worker import judging_store
from worker.judge import Ask, compare_pairs, grade, http_judge
from worker.judging_store import CannotJudge, JudgeSetup

log = logging.getLogger(__name__)

# Progress is written (and a cancel seen) at most this often: a judge answering in milliseconds must not turn a
# judging into thousands of writes.
PROGRESS_EVERY_S = 0.5


class JudgingStopped(Exception):
    """The judging is no longer running: cancelled."""


def run_judging(judging_id: int, ask_for: Callable[[JudgeSetup], Ask]) -> bool:
    """False when the judging was not queued (cancelled, or claimed by another worker): nothing was done."""
    if not judging_store.claim(judging_id):
        return False
    try:
        inputs = judging_store.load_inputs(judging_id)
        ask = ask_for(inputs.judge)
        progress = _Progress(judging_id)
        if inputs.kind == JudgingKind.PAIRWISE:
            verdicts = compare_pairs(ask, inputs.pairs, inputs.rubric, progress)
            judging_store.finish_pairs(judging_id, inputs.example_ids, verdicts)
        else:
            judgements = grade(ask, inputs.items, inputs.rubric, progress)
            judging_store.finish_scores(judging_id, inputs.prediction_ids, judgements)
    except JudgingStopped:
        log.info("judging %s was cancelled", judging_id)
    except CannotJudge as exc:
        judging_store.fail(judging_id, str(exc))
    except Exception as exc:
        # The judge's calls never raise with their request (worker.judge keeps no httpx exception), so neither the
        # message nor the traceback holds the API key.
        log.exception("judging %s failed", judging_id)
        judging_store.fail(judging_id, f"{type(exc).__name__}: {exc}")
    return True


def endpoint_judge(setup: JudgeSetup) -> Ask:
    """An OpenAI-compatible endpoint, called as the settings say (concurrency, timeout, retries)."""
    if setup.endpoint is None:
        raise CannotJudge("this judge is a base model: a training worker judges with it, not a light one")
    settings = get_settings()
    return http_judge(
        setup.endpoint,
        concurrency=settings.judge_concurrency,
        timeout_s=settings.judge_timeout_seconds,
        retries=settings.judge_retries,
    )


class _Progress:
    def __init__(self, judging_id: int) -> None:
        self.judging_id = judging_id
        self.written_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.written_at < PROGRESS_EVERY_S:
            return
        self.written_at = now
        if not judging_store.record_progress(self.judging_id, done):
            raise JudgingStopped()
