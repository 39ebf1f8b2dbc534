"""Sending tasks to the workers by name, so the API never imports the worker's ML code.

Two queues: `training` for runs and evaluations (a GPU worker takes one at a time, for minutes to hours) and `light`
for work that needs no GPU and no torch (token counts; judgings by an endpoint and webhooks, which wait on HTTP
calls). A worker
consumes only the queues it is started with, so a training job never waits behind a token count, and a token count
never behind a run.
"""

from functools import lru_cache
from typing import Any

import kombu.exceptions
from celery import Celery

from backend.core.config import get_settings

TRAINING_QUEUE = "training"
LIGHT_QUEUE = "light"
TRAIN_TASK = "runs.train"
TOKEN_STATS_TASK = "datasets.token_stats"
EVALUATE_TASK = "evaluations.run"  # on the training queue: it loads the model and generates
JUDGE_TASK = "judgings.judge"  # a judge behind an HTTP endpoint: light
JUDGE_WITH_MODEL_TASK = "judgings.judge_with_model"  # a base model as the judge: it generates, so training
WEBHOOK_TASK = "webhooks.deliver"  # an HTTP call: light
TASK_ROUTES = {
    TRAIN_TASK: {"queue": TRAINING_QUEUE},
    EVALUATE_TASK: {"queue": TRAINING_QUEUE},
    TOKEN_STATS_TASK: {"queue": LIGHT_QUEUE},
    JUDGE_TASK: {"queue": LIGHT_QUEUE},
    JUDGE_WITH_MODEL_TASK: {"queue": TRAINING_QUEUE},
    WEBHOOK_TASK: {"queue": LIGHT_QUEUE},
}

# What a send raises when the broker is out of reach (refused, timed out, its SQLite file unusable): kombu wraps each
# transport's connection errors in this one.
BrokerUnreachable = kombu.exceptions.OperationalError
# How long one attempt at sending may wait on the broker. Sends happen inside API requests: a broker that is down or
# frozen (it accepts the connection and never answers) must cost the request seconds, not hang it. A healthy broker
# stores a task in milliseconds.
SEND_TIMEOUT_SECONDS = 2.0
# One retry, 0.5 s later, rides out a broker that restarts: at worst 2 attempts x 2 s + 0.5 s before giving up.
SEND_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 0.5}


def _send_transport_options(broker_url: str) -> dict[str, Any]:
    if broker_url.startswith("sqla+"):
        # The SQLAlchemy transport passes these to create_engine: a locked SQLite file waits this long, not 5 s.
        return {"connect_args": {"timeout": SEND_TIMEOUT_SECONDS}} if "sqlite" in broker_url else {}
    # Redis: without a socket timeout a frozen server blocks the send for ever.
    return {"socket_connect_timeout": SEND_TIMEOUT_SECONDS, "socket_timeout": SEND_TIMEOUT_SECONDS}


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
    """The app that sends tasks (the API, and the reapers' re-sends): its sends are bounded, see
    SEND_TIMEOUT_SECONDS. The workers' own apps consume with Celery's defaults."""
    app = make_celery()
    app.conf.update(
        broker_connection_timeout=SEND_TIMEOUT_SECONDS,
        broker_transport_options=_send_transport_options(get_settings().broker_url),
        task_publish_retry_policy=SEND_RETRY_POLICY,
    )
    return app


def enqueue_training(run_id: int) -> str:
    result = get_celery().send_task(TRAIN_TASK, args=[run_id], queue=TRAINING_QUEUE)
    return str(result.id)


def enqueue_evaluation(evaluation_id: int) -> str:
    result = get_celery().send_task(EVALUATE_TASK, args=[evaluation_id], queue=TRAINING_QUEUE)
    return str(result.id)


def enqueue_token_stats(stats_id: int) -> str:
    result = get_celery().send_task(TOKEN_STATS_TASK, args=[stats_id], queue=LIGHT_QUEUE)
    return str(result.id)


def enqueue_judging(judging_id: int, *, with_model: bool) -> str:
    """`with_model`: the judge is a base model of the studio's, answered by a training worker."""
    task = JUDGE_WITH_MODEL_TASK if with_model else JUDGE_TASK
    result = get_celery().send_task(task, args=[judging_id], queue=TASK_ROUTES[task]["queue"])
    return str(result.id)


def enqueue_webhook(run_id: int, event: str, target: str) -> str:
    result = get_celery().send_task(WEBHOOK_TASK, args=[run_id, event, target], queue=LIGHT_QUEUE)
    return str(result.id)
