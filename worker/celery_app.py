"""The Celery apps of the workers: one per kind of worker, both on the same broker and database.

- `celery -A worker.celery_app worker --queues=training --pool=solo`: a GPU worker, one training run at a time.
- `celery -A worker.celery_app:light_app worker --queues=light --pool=threads --concurrency=2`: token counts and
  other work of seconds. It imports only the torch-free tasks, so it starts in a second and never trains.
"""

import logging
from typing import Any

from celery.signals import worker_ready, worker_shutdown, worker_shutting_down

from backend.core.queue import TRAIN_TASK, TRAINING_QUEUE, enqueue_evaluation, enqueue_training, make_celery
from worker.leases import Reaper
from worker.registry import Presence, describe

log = logging.getLogger(__name__)


# The training tasks import torch and transformers (seconds, hundreds of MB) when the worker starts. A training
# worker knows the light tasks too, so one worker started with --queues=training,light can do everything.
app = make_celery(["worker.tasks", "worker.light_tasks"])
light_app = make_celery(["worker.light_tasks"])

# Every worker also looks for runs and evaluations whose worker died (their lease expired) and queues them again; the
# same loop keeps the worker's row in the registry fresh (worker.registry).
reaper = Reaper(enqueue_training, enqueue_evaluation)


def _served_queues(consumer: Any) -> list[str]:
    """The queues this worker consumes (--queues), without `training` when its app cannot train (light_app)."""
    consumed = consumer.app.amqp.queues.consume_from
    return sorted(q for q in consumed if q != TRAINING_QUEUE or TRAIN_TASK in consumer.app.tasks)


@worker_ready.connect
def _start_reaper(sender: Any, **_kwargs: Any) -> None:
    # Whatever goes wrong with the registry, the reaper must start: it is what recovers lost runs.
    try:
        presence = Presence(describe(_served_queues(sender)))
    except Exception:
        log.exception("this worker could not describe itself: it will not be listed in the registry")
    else:
        reaper.beat, reaper.leave = presence.beat, presence.leave
        try:
            presence.join()
        except Exception:  # the database is not there yet: the first heartbeat adds the row
            log.exception("joining the worker registry failed")
    reaper.start()


@worker_shutting_down.connect
def _stop_reaper(**_kwargs: Any) -> None:
    # In the signal handler: only ask the loop to end (it leaves the registry itself); no database work here.
    reaper.stop()


@worker_shutdown.connect
def _leave_registry(**_kwargs: Any) -> None:
    # Outside the signal handler, before the process exits: make sure the loop has left the registry.
    reaper.stop(timeout=10)
