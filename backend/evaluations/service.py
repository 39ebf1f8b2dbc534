"""Reading evaluations: a run's, one by id, its scored answers, and two compared."""

from collections import Counter
from dataclasses import asdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see, owned_by
from backend.core.errors import Invalid, NotFound
from backend.evaluations.schemas import ComparisonOut, ExampleChangeOut, MetricComparisonOut
from backend.models import Evaluation, EvaluationPrediction, User
from domain.scoring.compare import Change, compare
from domain.scoring.metrics import METRICS

# The comparison's bootstrap draws: fixed, so the same two evaluations always get the same interval.
COMPARISON_SEED = 0


def list_evaluations(session: Session, user: User, run_id: int | None) -> list[Evaluation]:
    query = select(Evaluation).where(owned_by(user, Evaluation.owner_id))
    if run_id is not None:
        query = query.where(Evaluation.run_id == run_id)
    return list(session.scalars(query.order_by(Evaluation.id)))


def get_evaluation(session: Session, evaluation_id: int, user: User) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or not can_see(user, evaluation.owner_id):
        raise NotFound(f"evaluation {evaluation_id} not found")
    return evaluation


def list_predictions(
    session: Session, evaluation: Evaluation, *, offset: int, limit: int
) -> tuple[list[EvaluationPrediction], int]:
    where = EvaluationPrediction.evaluation_id == evaluation.id
    total = session.scalar(select(func.count()).where(where)) or 0
    rows = session.scalars(
        select(EvaluationPrediction).where(where).order_by(EvaluationPrediction.id).offset(offset).limit(limit)
    )
    return list(rows), total


def compare_evaluations(session: Session, user: User, a_id: int, b_id: int) -> ComparisonOut:
    """B against A on the examples both answered: per metric the change with a paired bootstrap interval, per example
    better/same/worse, and the examples that changed most."""
    a, b = get_evaluation(session, a_id, user), get_evaluation(session, b_id, user)
    a_rows, b_rows = _by_example(session, a), _by_example(session, b)
    if a_rows.keys() != b_rows.keys():
        raise Invalid(
            f"evaluations {a.id} and {b.id} answered different examples: compare evaluations of the same examples",
            field="b",
        )
    example_ids = sorted(a_rows)
    names = [
        name for name in METRICS if all(name in a_rows[i].scores and name in b_rows[i].scores for i in example_ids)
    ]
    a_scores = {name: [a_rows[i].scores[name] for i in example_ids] for name in names}
    b_scores = {name: [b_rows[i].scores[name] for i in example_ids] for name in names}
    result = compare(a_scores, b_scores, seed=COMPARISON_SEED)
    metrics = []
    for name, metric in result.metrics.items():
        counts = Counter(example.changes[name] for example in result.examples)
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
    return ComparisonOut(a=a.id, b=b.id, examples=len(example_ids), metrics=metrics, most_changed=most_changed)


def _by_example(session: Session, evaluation: Evaluation) -> dict[int, EvaluationPrediction]:
    rows = session.scalars(select(EvaluationPrediction).where(EvaluationPrediction.evaluation_id == evaluation.id))
    return {row.example_id: row for row in rows}
