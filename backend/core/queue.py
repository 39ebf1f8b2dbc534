"""Sending tasks to the workers by name, so the API never imports the worker's ML code."""

from functools import lru_cache

from celery import Celery

from backend.core.config import get_settings

TRAINING_QUEUE = "training"
TRAIN_TASK = "runs.train"


@lru_cache
def get_celery() -> Celery:
    settings = get_settings()
    app = Celery("studio", broker=settings.broker_url)
    app.conf.update(
        task_ignore_result=True,  # run state lives in the database, not in Celery results
        task_default_queue=TRAINING_QUEUE,
        broker_connection_retry_on_startup=True,
    )
    return app


def enqueue_training(run_id: int) -> str:
    result = get_celery().send_task(TRAIN_TASK, args=[run_id], queue=TRAINING_QUEUE)
    return str(result.id)
