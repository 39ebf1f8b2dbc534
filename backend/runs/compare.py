"""Several runs side by side: what differs between them and how each did, for GET /api/runs/compare."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see
from backend.core.errors import NotFound
from backend.core.params import parse_id_list
from backend.evaluations.schemas import MetricValue
from backend.models import AnswerSource, Dataset, Evaluation, EvaluationKind, Run, RunStatus, Split, User
from backend.runs.compare_schemas import (
    ComparedMetricOut,
    ComparedRunOut,
    DatasetRef,
    DifferingParameterOut,
    RunComparisonOut,
    TestEvaluationOut,
)
from domain.scoring.metrics import METRICS

MIN_COMPARED = 2
# Six curves are as many as distinct colours and a legend keep readable.
MAX_COMPARED = 6


def parse_ids(raw: str) -> list[int]:
    """`1,2,3` as run ids: 2 to 6 different ones."""
    return parse_id_list(raw, name="ids", noun="run", minimum=MIN_COMPARED, maximum=MAX_COMPARED, verb="compare")


def compare_runs(session: Session, user: User, run_ids: Sequence[int]) -> RunComparisonOut:
    """The runs in the order asked; 404 names the first one the caller cannot see."""
    found = {
        run.id: (run, dataset)
        for run, dataset in session.execute(
            select(Run, Dataset).join(Dataset, Dataset.id == Run.dataset_id).where(Run.id.in_(run_ids))
        ).tuples()
    }
    for run_id in run_ids:
        if run_id not in found or not can_see(user, found[run_id][0].owner_id):
            raise NotFound(f"run {run_id} not found")
    pairs = [found[run_id] for run_id in run_ids]
    evaluations = _test_evaluations(session, run_ids)
    runs = [
        _compared(
            run,
            dataset,
            evaluations.get((run.id, AnswerSource.FINE_TUNED)),
            evaluations.get((run.id, AnswerSource.BASE)),
        )
        for run, dataset in pairs
    ]
    return RunComparisonOut(runs=runs, differing=_differing(runs), metrics=_metrics(runs))


def _test_evaluations(session: Session, run_ids: Sequence[int]) -> dict[tuple[int, AnswerSource], Evaluation]:
    """Each run's automatic evaluations: its final weights' and its base model's answers to its test split. The
    earliest of each, which is the one written when the run finished (an evaluation asked later with other decoding
    has its own page)."""
    query = (
        select(Evaluation)
        .where(
            Evaluation.run_id.in_(run_ids),
            Evaluation.kind == EvaluationKind.GENERATION,
            Evaluation.checkpoint_step.is_(None),
            Evaluation.split == Split.TEST,
            Evaluation.status == RunStatus.SUCCEEDED,
        )
        .order_by(Evaluation.id.desc())
    )
    # Newest first, so the earliest one is written last and wins.
    return {(e.run_id, e.model): e for e in session.scalars(query) if e.run_id is not None}


def _evaluation(evaluation: Evaluation | None) -> TestEvaluationOut | None:
    if evaluation is None:
        return None
    metrics = {name: MetricValue.model_validate(value) for name, value in evaluation.metrics.items()}
    return TestEvaluationOut(id=evaluation.id, total=evaluation.total, metrics=metrics)


def _compared(run: Run, dataset: Dataset, tuned: Evaluation | None, base: Evaluation | None) -> ComparedRunOut:
    preset_name = run.preset_snapshot.get("name") if run.preset_snapshot else None
    return ComparedRunOut(
        id=run.id,
        name=run.name,
        status=run.status,
        dataset=DatasetRef(id=dataset.id, name=dataset.name),
        base_model=run.base_model,
        preset_name=preset_name if isinstance(preset_name, str) else None,
        config=run.config,
        final_eval_loss=run.final_eval_loss,
        best_eval_loss=run.best_eval_loss,
        base_eval_loss=run.unquantised_base_eval_loss
        if run.unquantised_base_eval_loss is not None
        else run.base_eval_loss,
        fine_tuned=_evaluation(tuned),
        base=_evaluation(base),
    )


def _differing(runs: Sequence[ComparedRunOut]) -> list[DifferingParameterOut]:
    rows: list[DifferingParameterOut] = []
    # The dataset is told apart by its id (two can share a name) and shown by its name.
    if len({run.dataset.id for run in runs}) > 1:
        rows.append(DifferingParameterOut(name="dataset", values=[run.dataset.name for run in runs]))
    for name, values in (
        ("base_model", [run.base_model for run in runs]),
        ("preset", [run.preset_name for run in runs]),
    ):
        if _differ(values):
            rows.append(DifferingParameterOut(name=name, values=values))
    # Every key of any config, in the first config's order (the TrainingConfig's), then those only later ones have.
    keys = list(dict.fromkeys(key for run in runs for key in run.config))
    for key in keys:
        values = [run.config.get(key) for run in runs]
        if _differ(values):
            rows.append(DifferingParameterOut(name=key, values=values))
    return rows


def _differ(values: Sequence[Any]) -> bool:
    return any(value != values[0] for value in values[1:])


def _metrics(runs: Sequence[ComparedRunOut]) -> list[ComparedMetricOut]:
    present = {
        name
        for run in runs
        for evaluation in (run.fine_tuned, run.base)
        if evaluation is not None
        for name in evaluation.metrics
    }
    known = [name for name in METRICS if name in present]
    # A metric the scorers no longer have (an older evaluation's) still shows, without a better side.
    unknown = sorted(present - set(METRICS))
    return [
        ComparedMetricOut(
            name=name, description=METRICS[name].description, higher_is_better=METRICS[name].higher_is_better
        )
        for name in known
    ] + [ComparedMetricOut(name=name, description="", higher_is_better=None) for name in unknown]
