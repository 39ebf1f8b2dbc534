"""Tasks of the light queue: no GPU, little CPU (token counts; judgings by an endpoint and webhooks, which wait on
replies).
Nothing here imports torch or transformers, so a light worker starts in about a second, stays small, and runs beside
the training workers without waiting behind a run."""

import logging

from celery import Task, shared_task
from celery.exceptions import Ignore

from backend.core.config import get_settings
from backend.core.webhooks import Target
from worker import webhooks
from worker.judging import endpoint_judge, run_judging
from worker.token_counting import count_tokens

log = logging.getLogger(__name__)


# A shared task: registered on whichever app imports this module, the training workers' and the light workers'.
@shared_task(name="datasets.token_stats")  # backend.core.queue.TOKEN_STATS_TASK
def token_stats(stats_id: int) -> None:
    count_tokens(stats_id)


@shared_task(name="judgings.judge")  # backend.core.queue.JUDGE_TASK
def judge(judging_id: int) -> None:
    """A judge behind an endpoint: the worker waits on HTTP calls, which needs no GPU and no torch."""
    if not run_judging(judging_id, endpoint_judge):
        log.info("judging %s is no longer queued; skipping", judging_id)
        raise Ignore()


@shared_task(name="webhooks.deliver", bind=True)  # backend.core.queue.WEBHOOK_TASK
def deliver_webhook(self: Task, run_id: int, event: str, target: str) -> None:
    """One attempt; a failed one that may succeed later is sent again after a wait that doubles each time, up to
    webhook_attempts attempts in all."""
    attempt = self.request.retries + 1
    if webhooks.deliver(run_id, event, Target(target), attempt) and attempt < get_settings().webhook_attempts:
        raise self.retry(countdown=webhooks.backoff_seconds(attempt), max_retries=None)
