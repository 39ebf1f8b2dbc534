"""The Celery app of the workers. Training runs one at a time per worker process."""

from typing import Any

from celery import Celery
from celery.signals import worker_ready, worker_shutting_down

from backend.core.config import get_settings
from backend.core.queue import TRAINING_QUEUE, enqueue_training
from worker.leases import Reaper

settings = get_settings()
app = Celery("studio", broker=settings.broker_url, include=["worker.tasks"])
app.conf.update(
    task_ignore_result=True,  # run state lives in the database, not in Celery results
    task_default_queue=TRAINING_QUEUE,
    # A training task holds the worker for minutes to hours: never reserve a second one meanwhile.
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

# Every worker also looks for runs whose worker died (their lease expired) and queues them again.
reaper = Reaper(enqueue_training)


@worker_ready.connect
def _start_reaper(**_kwargs: Any) -> None:
    reaper.start()


@worker_shutting_down.connect
def _stop_reaper(**_kwargs: Any) -> None:
    reaper.stop()
