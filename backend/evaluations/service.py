"""Evaluations: created on demand and sent to a training worker, cancelled, read (a run's, one by id, its scored
answers) and two compared."""

import logging
from collections import Counter
from dataclasses import asdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see, owned_by
from backend.core.errors import Conflict, Invalid, NotFound, Unavailable
from backend.core.queue import BrokerUnreachable, enqueue_evaluation
from backend.core.storage import Storage
from backend.datasets.service import get_dataset
from backend.evaluations import multiple_choice
from backend.evaluations.schemas import (
    ComparisonOut,
    EvaluationCreate,
    EvaluationPredictionOut,
    ExampleChangeOut,
    MetricComparisonOut,
)
from backend.judgings.service import abandon_waiting, add_judging, check_request
from backend.models import (
    AnswerSource,
    Checkpoint,
    DatasetExample,
    Evaluation,
    EvaluationKind,
    EvaluationPrediction,
    JudgingKind,
    Run,
    RunStatus,
    User,
    utcnow,
)
from backend.runs.service import get_run
from domain.config import TrainingConfig
from domain.records import RECORD, instruction_and_input
from domain.scoring.compare import Change, ExampleChange, compare
from domain.scoring.metrics import METRICS

log = logging.getLogger(__name__)

# The comparison's bootstrap draws: fixed, so the same two evaluations always get the same interval.
COMPARISON_SEED = 0


def create_evaluation(session: Session, storage: Storage, user: User, request: EvaluationCreate) -> Evaluation:
    """A queued evaluation of a succeeded run's model, sent to a training worker after the commit."""
    run = get_run(session, request.run_id, user)
    judge = None
    if request.judge is not None:  # checked before anything is written
        if request.benchmark_id is not None:
            raise Invalid(
                "judge: a benchmark's answers are choices scored by likelihood; a judge grades generated answers",
                field="judge",
            )
        judge = check_request(
            session, user, request.judge.judge_id, request.judge.rubric, JudgingKind.SCORE, field_prefix="judge."
        )
    if run.status != RunStatus.SUCCEEDED:
        reason = {
            RunStatus.QUEUED: "it has not started training yet",
            RunStatus.RUNNING: "it is still training",
            RunStatus.FAILED: "it failed, so it has no trained weights",
            RunStatus.CANCELLED: "it was cancelled, so it has no final weights",
        }[run.status]
        raise Conflict(f"run {run.id} is {run.status.value}: {reason}; only a succeeded run can be evaluated")
    _check_weights(session, storage, run, request)
    if request.benchmark_id is not None:
        return _enqueue(session, multiple_choice.benchmark_evaluation(session, user, run, request))
    dataset = get_dataset(session, request.dataset_id or run.dataset_id, user)
    where = [DatasetExample.dataset_id == dataset.id]
    if request.split is not None:
        where.append(DatasetExample.split == request.split)
    total = session.scalar(select(func.count()).where(*where)) or 0
    if total == 0:
        raise Invalid(
            f"split: dataset {dataset.id} has no {request.split} examples; choose another split", field="split"
        )
    config = TrainingConfig.model_validate(run.config)
    decoding = request.decoding.model_dump(mode="json")
    # The run's answer length unless asked otherwise, written down so that the evaluation says what it used.
    decoding["max_new_tokens"] = request.decoding.max_new_tokens or config.max_new_tokens
    decoding["batch_size"] = request.batch_size
    fingerprint = ((run.environment or {}).get("base_model") or {}).get("fingerprint")
    evaluation = Evaluation(
        owner_id=user.id,
        run_id=run.id,
        model=request.model,
        checkpoint_step=request.checkpoint_step,
        dataset_id=dataset.id,
        split=request.split,
        template=config.template,
        decoding=decoding,
        base_model_fingerprint=fingerprint,
        status=RunStatus.QUEUED,
        total=total,
    )
    if judge is not None:
        session.add(evaluation)
        session.flush()
        # Queued, not sent: the evaluation's worker sends it once the answers are in.
        add_judging(session, user, *judge, evaluation, total=total)
    return _enqueue(session, evaluation)


def _enqueue(session: Session, evaluation: Evaluation) -> Evaluation:
    session.add(evaluation)
    session.flush()
    # Commit before enqueueing: a worker that picks the task up at once must find the evaluation.
    session.commit()
    try:
        enqueue_evaluation(evaluation.id)
    except BrokerUnreachable as exc:
        # Unlike a run, nothing sends a queued evaluation again: it is marked failed, and the request answers 503.
        log.warning("evaluation %s: the broker was unreachable", evaluation.id)
        evaluation.status = RunStatus.FAILED
        evaluation.error = "the broker was unreachable: the evaluation was never sent to a worker; create it again"
        evaluation.finished_at = utcnow()
        abandon_waiting(session, evaluation, "the evaluation was never sent to a worker: there are no answers to judge")
        session.commit()
        raise Unavailable(f"the broker was unreachable ({type(exc).__name__}); try again shortly") from exc
    return evaluation


def _check_weights(session: Session, storage: Storage, run: Run, request: EvaluationCreate) -> None:
    """The weights asked for are on disk: the chosen checkpoint's (the trainer deletes old ones), or the final ones."""
    if request.model == AnswerSource.BASE:
        if request.checkpoint_step is not None:
            raise Invalid(
                "checkpoint_step: the base model has no checkpoints; leave it empty or evaluate the fine_tuned model",
                field="checkpoint_step",
            )
        return
    rows = session.scalars(select(Checkpoint).where(Checkpoint.run_id == run.id).order_by(Checkpoint.step)).all()
    if request.checkpoint_step is None:
        final = next((row for row in rows if row.is_final), None)
        if final is None or not storage.local_path(final.storage_key).is_dir():
            raise Conflict(f"run {run.id}'s final weights are no longer on disk; evaluate one of its checkpoints")
        return
    on_disk = [row.step for row in rows if not row.is_final and storage.local_path(row.storage_key).is_dir()]
    if request.checkpoint_step not in on_disk:
        valid = ", ".join(str(step) for step in on_disk) or "none"
        raise Invalid(
            f"checkpoint_step: run {run.id} has no checkpoint at step {request.checkpoint_step} on disk; "
            f"valid steps: {valid}",
            field="checkpoint_step",
        )


def cancel_evaluation(session: Session, evaluation: Evaluation) -> Evaluation:
    """A queued evaluation is cancelled at once (the worker skips it); a running one stops after its current batch."""
    session.refresh(evaluation, with_for_update=True)  # the worker may be changing the status right now
    if evaluation.status.finished:
        raise Conflict(
            f"evaluation {evaluation.id} is already {evaluation.status.value}; "
            "only queued or running evaluations can be cancelled"
        )
    evaluation.cancel_requested = True
    if evaluation.status == RunStatus.QUEUED:
        evaluation.status = RunStatus.CANCELLED
        evaluation.finished_at = utcnow()
        abandon_waiting(session, evaluation, "the evaluation was cancelled: there are no answers to judge")
    return evaluation


def list_evaluations(
    session: Session, user: User, *, run_id: int | None = None, dataset_id: int | None = None
) -> list[Evaluation]:
    query = select(Evaluation).where(owned_by(user, Evaluation.owner_id))
    if run_id is not None:
        query = query.where(Evaluation.run_id == run_id)
    if dataset_id is not None:
        query = query.where(Evaluation.dataset_id == dataset_id)
    return list(session.scalars(query.order_by(Evaluation.id)))


def get_evaluation(session: Session, evaluation_id: int, user: User) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or not can_see(user, evaluation.owner_id):
        raise NotFound(f"evaluation {evaluation_id} not found")
    return evaluation


def list_predictions(
    session: Session, evaluation: Evaluation, *, offset: int, limit: int
) -> tuple[list[EvaluationPredictionOut], int]:
    """The scored answers, each with its example's instruction and input: the rendered prompt repeats the template's
    boilerplate on every row."""
    where = EvaluationPrediction.evaluation_id == evaluation.id
    total = session.scalar(select(func.count()).where(where)) or 0
    rows = session.execute(
        select(EvaluationPrediction, DatasetExample.record)
        .join(DatasetExample, DatasetExample.id == EvaluationPrediction.example_id)
        .where(where)
        .order_by(EvaluationPrediction.id)
        .offset(offset)
        .limit(limit)
    )
    predictions = []
    for prediction, record in rows:
        instruction, input_text = instruction_and_input(RECORD.validate_python(record))
        predictions.append(
            EvaluationPredictionOut(
                example_id=prediction.example_id,
                prompt=prediction.prompt,
                instruction=instruction,
                input=input_text,
                expected=prediction.expected,
                generated=prediction.generated,
                scores=prediction.scores,
                judge_explanation=prediction.judge_explanation,
                not_judged_reason=prediction.not_judged_reason,
            )
        )
    return predictions, total


def compare_evaluations(session: Session, user: User, a_id: int, b_id: int) -> ComparisonOut:
    """B against A on the examples both answered: per metric the change with a paired bootstrap interval, per example
    better/same/worse, and the examples that changed most."""
    a, b = get_evaluation(session, a_id, user), get_evaluation(session, b_id, user)
    if a.kind != b.kind:
        raise Invalid(
            f"b: evaluation {a.id} is {a.kind.value} and {b.id} is {b.kind.value}; compare two of one kind", field="b"
        )
    if a.kind == EvaluationKind.MULTIPLE_CHOICE:
        return multiple_choice.compare_answers(session, a, b, seed=COMPARISON_SEED)
    a_rows, b_rows = _by_example(session, a), _by_example(session, b)
    if a_rows.keys() != b_rows.keys():
        raise Invalid(
            f"evaluations {a.id} and {b.id} answered different examples: compare evaluations of the same examples",
            field="b",
        )
    example_ids = sorted(a_rows)
    # A metric both evaluations scored; a judge's may be missing on some examples (not judged): compare() pairs
    # the examples scored in both.
    names = [
        name
        for name in METRICS
        if any(name in a_rows[i].scores for i in example_ids) and any(name in b_rows[i].scores for i in example_ids)
    ]
    a_scores = {name: [a_rows[i].scores.get(name) for i in example_ids] for name in names}
    b_scores = {name: [b_rows[i].scores.get(name) for i in example_ids] for name in names}
    result = compare(a_scores, b_scores, seed=COMPARISON_SEED)
    metrics = []
    for name, metric in result.metrics.items():
        counts = Counter(_direction(example, name) for example in result.examples if name in example.changes)
        metrics.append(
            MetricComparisonOut(
                name=name,
                description=METRICS[name].description,
                higher_is_better=METRICS[name].higher_is_better,
                **asdict(metric),
                better=counts[Change.BETTER],
                same=counts[Change.SAME],
                worse=counts[Change.WORSE],
            )
        )
    most_changed = []
    for index in result.most_changed:
        example_id, change = example_ids[index], result.examples[index]
        row_a, row_b = a_rows[example_id], b_rows[example_id]
        most_changed.append(
            ExampleChangeOut(
                example_id=example_id,
                prompt=row_a.prompt,
                expected=row_a.expected,
                a_generated=row_a.generated,
                b_generated=row_b.generated,
                differences=change.differences,
                net=change.net,
            )
        )
    return ComparisonOut(
        a=a.id,
        b=b.id,
        kind=EvaluationKind.GENERATION,
        examples=len(example_ids),
        metrics=metrics,
        most_changed=most_changed,
    )


def _direction(example: ExampleChange, name: str) -> Change:
    """Better, same or worse; for a metric with no better side (answer_length), up counts as better, down as worse,
    so that its counts read "longer, same, shorter"."""
    change = example.changes[name]
    if change != Change.CHANGED:
        return change
    return Change.BETTER if example.differences[name] > 0 else Change.WORSE


def _by_example(session: Session, evaluation: Evaluation) -> dict[int, EvaluationPrediction]:
    rows = session.scalars(select(EvaluationPrediction).where(EvaluationPrediction.evaluation_id == evaluation.id))
    return {row.example_id: row for row in rows}
