"""Evaluations of a benchmark (kind multiple_choice): created for a run's weights, their per-question answers read,
and two of the same benchmark compared, per subject and with the questions whose answer flipped."""

from collections import Counter
from dataclasses import asdict

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend.benchmarks.service import get_benchmark
from backend.core.errors import Invalid
from backend.evaluations.schemas import (
    BenchmarkAnswerOut,
    ComparisonOut,
    EvaluationCreate,
    FlippedQuestionOut,
    MetricComparisonOut,
    SubjectComparisonOut,
)
from backend.models import (
    BenchmarkAnswer,
    BenchmarkQuestion,
    Evaluation,
    EvaluationKind,
    Run,
    RunStatus,
    User,
)
from domain.scoring.choices import CHOICE_METRICS, ChoiceAnswer
from domain.scoring.compare import Change, Comparison, compare

# lm-evaluation-harness's "Question: {question}\nAnswer:" + " {choice}" (domain.scoring.choices), by name.
TEMPLATE = "question_answer"
MAX_FLIPPED = 200
HIGHER_IS_BETTER: dict[str, bool | None] = dict.fromkeys(CHOICE_METRICS, True)
# What a benchmark evaluation has no use for, and why, for the 422 that names the field.
NOT_FOR_BENCHMARKS = {
    "dataset_id": "a benchmark brings its own questions",
    "split": "a benchmark is answered whole",
    "decoding": "a benchmark's choices are scored by log-likelihood, nothing is generated",
}


def benchmark_evaluation(session: Session, user: User, run: Run, request: EvaluationCreate) -> Evaluation:
    """A queued evaluation of the run's model on a benchmark (not committed)."""
    assert request.benchmark_id is not None
    for field, reason in NOT_FOR_BENCHMARKS.items():
        if field in request.model_fields_set:
            raise Invalid(f"{field}: {reason}; leave {field} out with benchmark_id", field=field)
    benchmark = get_benchmark(session, request.benchmark_id, user)
    return Evaluation(
        owner_id=user.id,
        run_id=run.id,
        kind=EvaluationKind.MULTIPLE_CHOICE,
        model=request.model,
        checkpoint_step=request.checkpoint_step,
        dataset_id=None,
        benchmark_id=benchmark.id,
        split=None,
        template=TEMPLATE,
        decoding={"batch_size": request.batch_size},
        base_model_fingerprint=((run.environment or {}).get("base_model") or {}).get("fingerprint"),
        status=RunStatus.QUEUED,
        total=benchmark.num_questions,
    )


def answers_query(evaluation_id: int) -> Select[BenchmarkAnswer, BenchmarkQuestion]:
    return (
        select(BenchmarkAnswer, BenchmarkQuestion)
        .join(BenchmarkQuestion, BenchmarkQuestion.id == BenchmarkAnswer.question_id)
        .where(BenchmarkAnswer.evaluation_id == evaluation_id)
    )


def _as_choice(row: BenchmarkAnswer) -> ChoiceAnswer:
    return ChoiceAnswer(row.subject, row.correct, row.chosen, row.chosen_norm)


def answer_out(row: BenchmarkAnswer, question: BenchmarkQuestion) -> BenchmarkAnswerOut:
    return BenchmarkAnswerOut(
        question_id=question.id,
        number=question.number,
        subject=row.subject,
        question=question.question,
        choices=question.choices,
        correct=row.correct,
        chosen=row.chosen,
        chosen_norm=row.chosen_norm,
        logliks=row.logliks,
        scores=_as_choice(row).scores,
    )


def list_answers(
    session: Session, evaluation: Evaluation, *, subject: str | None, offset: int, limit: int
) -> tuple[list[BenchmarkAnswerOut], int]:
    query = answers_query(evaluation.id)
    if subject is not None:
        query = query.where(BenchmarkAnswer.subject == subject)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(BenchmarkQuestion.number).offset(offset).limit(limit)).tuples()
    return [answer_out(row, question) for row, question in rows], total


def _metric_outs(comparison: Comparison) -> list[MetricComparisonOut]:
    outs = []
    for name, metric in comparison.metrics.items():
        counts = Counter(example.changes[name] for example in comparison.examples)
        outs.append(
            MetricComparisonOut(
                name=name,
                description=CHOICE_METRICS[name],
                higher_is_better=True,
                **asdict(metric),
                better=counts[Change.BETTER],
                same=counts[Change.SAME],
                worse=counts[Change.WORSE],
            )
        )
    return outs


def _compare(a: list[ChoiceAnswer], b: list[ChoiceAnswer], seed: int) -> Comparison:
    scores = [{name: [item.scores[name] for item in answers] for name in CHOICE_METRICS} for answers in (a, b)]
    return compare(scores[0], scores[1], seed=seed, top=0, higher_is_better=HIGHER_IS_BETTER)


def compare_answers(session: Session, a: Evaluation, b: Evaluation, *, seed: int) -> ComparisonOut:
    """B against A on the same benchmark: accuracy and accuracy_norm with paired bootstrap intervals, overall and per
    subject, and the questions whose answer went from right to wrong (first) or wrong to right."""
    if a.benchmark_id != b.benchmark_id:
        raise Invalid(
            f"b: evaluations {a.id} and {b.id} answered different benchmarks; compare two evaluations of one benchmark",
            field="b",
        )
    a_rows = {row.question_id: (row, question) for row, question in session.execute(answers_query(a.id)).tuples()}
    b_rows = {row.question_id: row for row, _ in session.execute(answers_query(b.id)).tuples()}
    if a_rows.keys() != b_rows.keys():
        raise Invalid(
            f"b: evaluations {a.id} and {b.id} answered different questions (is one unfinished?); compare two "
            "finished evaluations of one benchmark",
            field="b",
        )
    ids = sorted(a_rows, key=lambda question_id: a_rows[question_id][1].number)
    a_answers = [_as_choice(a_rows[i][0]) for i in ids]
    b_answers = [_as_choice(b_rows[i]) for i in ids]

    by_subject: dict[str, list[int]] = {}
    for index, item in enumerate(a_answers):
        if item.subject is not None:
            by_subject.setdefault(item.subject, []).append(index)
    subjects = [
        SubjectComparisonOut(
            subject=subject,
            questions=len(indices),
            metrics=_metric_outs(_compare([a_answers[i] for i in indices], [b_answers[i] for i in indices], seed)),
        )
        for subject, indices in sorted(by_subject.items())
    ]

    flipped = []
    for question_id, before, after in zip(ids, a_answers, b_answers, strict=True):
        right_before, right_after = before.chosen == before.correct, after.chosen == after.correct
        if right_before == right_after:
            continue
        question = a_rows[question_id][1]
        flipped.append(
            FlippedQuestionOut(
                question_id=question_id,
                number=question.number,
                subject=question.subject,
                question=question.question,
                choices=question.choices,
                correct=before.correct,
                a_chosen=before.chosen,
                b_chosen=after.chosen,
                change="right_to_wrong" if right_before else "wrong_to_right",
            )
        )
    flipped.sort(key=lambda item: (item.change == "wrong_to_right", item.number))
    return ComparisonOut(
        a=a.id,
        b=b.id,
        kind=EvaluationKind.MULTIPLE_CHOICE,
        examples=len(ids),
        metrics=_metric_outs(_compare(a_answers, b_answers, seed)),
        most_changed=[],
        flipped=flipped[:MAX_FLIPPED],
        subjects=subjects,
    )
