"""Where waiting training work stands. Runs and evaluations share the training queue, first come first served (each
worker takes one task at a time: --pool=solo), so a queued run's place is the count of queued work created before it.
What another user queued is counted but not named."""

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see
from backend.models import Evaluation, Run, RunStatus, User, Worker
from backend.runs.estimate_service import estimate_for_run
from backend.runs.queue_schemas import LiveWorkerOut, QueueItemOut, QueueOut, WorkerTaskOut
from backend.workers.schemas import WorkerOut
from backend.workers.service import list_live_workers
from domain.text import ordinal, plural

START_A_WORKER = ".venv/bin/celery -A worker.celery_app worker --pool=solo --queues=training"


@dataclass(frozen=True)
class _Waiting:
    kind: Literal["run", "evaluation"]
    id: int
    owner_id: int
    name: str


def _waiting(session: Session) -> list[_Waiting]:
    """Queued training work, in the order the workers take it. A cancel asked for a queued item ends it at once."""
    runs = session.execute(
        select(Run.id, Run.owner_id, Run.name, Run.created_at).where(Run.status == RunStatus.QUEUED)
    ).all()
    evaluations = session.execute(
        select(Evaluation.id, Evaluation.owner_id, Evaluation.created_at).where(Evaluation.status == RunStatus.QUEUED)
    ).all()
    items = [(created, 0, _Waiting("run", id_, owner, name)) for id_, owner, name, created in runs]
    items += [
        (created, 1, _Waiting("evaluation", id_, owner, f"evaluation {id_}")) for id_, owner, created in evaluations
    ]
    return [item for _, _, item in sorted(items, key=lambda entry: (entry[0], entry[1], entry[2].id))]


def _named(item: _Waiting, user: User) -> str:
    if can_see(user, item.owner_id):
        return f"run {item.id}" if item.kind == "run" else item.name
    return f"another user's {item.kind}"


def queue_notes(session: Session, user: User) -> dict[int, tuple[int, str]]:
    """Each queued run's place (1: next to start) and a sentence saying where it stands, by run id."""
    waiting = _waiting(session)
    workers = list_live_workers(session, training_only=True)
    tasks = _tasks(session, user, workers)
    idle = len(workers) - len(tasks)
    notes: dict[int, tuple[int, str]] = {}
    for index, item in enumerate(waiting):
        if item.kind != "run":
            continue
        position = index + 1
        place = f"{ordinal(position)} in the queue"
        if index > 0:
            place += f", behind {_named(waiting[index - 1], user)}"
            if index > 1:
                place += f" and {plural(index - 1, 'more')}"
        if not workers:
            note = f"{place}; no training worker is running: start one with `{START_A_WORKER}`"
        elif position <= idle:
            note = f"{place}: a worker should take it in a moment"
        elif len(workers) == 1:
            on = f" is on {_task_name(next(iter(tasks.values())))}" if tasks else " takes what is ahead first"
            note = f"{place}: the training worker{on}"
        else:
            note = f"{place}: waits for one of the {len(workers)} training workers ({len(tasks)} busy)"
        notes[item.id] = (position, note)
    return notes


def _task_name(task: WorkerTaskOut) -> str:
    return f"{task.kind} {task.id}" if task.id is not None else f"another user's {task.kind}"


def _tasks(session: Session, user: User, workers: list[Worker]) -> dict[str, WorkerTaskOut]:
    """What each worker is on: the run or evaluation whose lease it holds."""
    ids = [worker.id for worker in workers]
    running = session.execute(
        select(Run.id, Run.owner_id, Run.lease_owner).where(Run.status == RunStatus.RUNNING, Run.lease_owner.in_(ids))
    ).all()
    evaluating = session.execute(
        select(Evaluation.id, Evaluation.owner_id, Evaluation.lease_owner).where(
            Evaluation.status == RunStatus.RUNNING, Evaluation.lease_owner.in_(ids)
        )
    ).all()
    tasks: dict[str, WorkerTaskOut] = {}
    for kind, rows in (("run", running), ("evaluation", evaluating)):
        for id_, owner, worker_id in rows:
            if worker_id is not None:  # the query asks for leased work: always set
                tasks[worker_id] = WorkerTaskOut(kind=kind, id=id_ if can_see(user, owner) else None)  # type: ignore[arg-type]
    return tasks


def describe_queue(session: Session, user: User) -> QueueOut:
    """The live workers with what each is on, and the waiting work with, for each run the caller can see, the memory
    estimate's verdict against those workers."""
    workers = list_live_workers(session)
    tasks = _tasks(session, user, workers)
    items = []
    for index, item in enumerate(_waiting(session)):
        visible = can_see(user, item.owner_id)
        estimate = (
            estimate_for_run(session, user, session.get_one(Run, item.id)) if visible and item.kind == "run" else None
        )
        items.append(
            QueueItemOut(
                position=index + 1,
                kind=item.kind,
                id=item.id if visible else None,
                name=item.name if visible else _named(item, user),
                verdict=estimate.verdict if estimate else None,
                verdict_note=(estimate.warning or estimate.note) if estimate else None,
            )
        )
    return QueueOut(
        workers=[LiveWorkerOut(**WorkerOut.model_validate(w).model_dump(), task=tasks.get(w.id)) for w in workers],
        waiting=items,
    )
