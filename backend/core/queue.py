"""Sending tasks to the workers by name, so the API never imports the worker's ML code.

Two queues: `training` for runs (a GPU worker takes one at a time, for minutes to hours) and `light` for work
measured in seconds that needs no GPU and no torch (token counts). A worker consumes only the queues it is
started with, so a training job never waits behind a token count, and a token count never behind a run.
"""

from functools import lru_cache

from celery import Celery

from backend.core.config import get_settings

TRAINING_QUEUE = "training"
LIGHT_QUEUE = "light"
TRAIN_TASK = "runs.train"
TOKEN_STATS_TASK = "datasets.token_stats"
TASK_ROUTES = {TRAIN_TASK: {"queue": TRAINING_QUEUE}, TOKEN_STATS_TASK: {"queue": LIGHT_QUEUE}}


def make_celery(include: list[str] | None = None) -> Celery:
    """The one Celery configuration: the API's (which only sends) and every worker's (`include`: its task modules)."""
    app = Celery("studio", broker=get_settings().broker_url, include=include or [])
    app.conf.update(
        task_ignore_result=True,  # run state lives in the database, not in Celery results
        task_default_queue=TRAINING_QUEUE,
        task_routes=TASK_ROUTES,
        # A training task holds the worker for minutes to hours: never reserve a second one meanwhile.
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


@lru_cache
def get_celery() -> Celery:
    return make_celery()


def enqueue_training(run_id: int) -> str:
    result = get_celery().send_task(TRAIN_TASK, args=[run_id], queue=TRAINING_QUEUE)
    return str(result.id)


def enqueue_token_stats(stats_id: int) -> str:
    result = get_celery().send_task(TOKEN_STATS_TASK, args=[stats_id], queue=LIGHT_QUEUE)
    return str(result.id)
