"""Reviews of a generation evaluation's answers: one per reviewer and example, saved as the reviewer goes (autosave)
with the version each edit started from, so that a stale edit is refused instead of overwriting; and their summary."""

from collections import Counter, defaultdict

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.core.errors import Conflict, Invalid, NotFound
from backend.models import (
    Evaluation,
    EvaluationKind,
    EvaluationPrediction,
    Review,
    RunStatus,
    User,
    utcnow,
)
from backend.reviews.schemas import (
    AgreementOut,
    JudgeAgreementOut,
    ReviewConflictBody,
    ReviewerCountOut,
    ReviewIn,
    ReviewOut,
    ReviewSummaryOut,
    ShareOut,
    TagCountsOut,
    VerdictCountsOut,
)
from domain.reviews import judge_agreement, judge_verdict, majority, reviewer_agreement, wilson_interval
from domain.scoring.metrics import JUDGE_SCORE


class ReviewConflict(Conflict):
    """A stale edit: the body carries the review as stored now, for the page to reload."""

    body_model = ReviewConflictBody

    def __init__(self, detail: str, current: ReviewOut | None) -> None:
        super().__init__(detail, field="version")
        self.body = ReviewConflictBody(**self.body.model_dump(), current=current)


def _query() -> Select[Review, str]:
    return select(Review, User.name).join(User, User.id == Review.reviewer_id)


def _out(review: Review, reviewer: str) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        evaluation_id=review.evaluation_id,
        example_id=review.example_id,
        verdict=review.verdict,
        score=review.score,
        tags=review.tags,
        note=review.note,
        corrected_answer=review.corrected_answer,
        reviewer=reviewer,
        reviewer_id=review.reviewer_id,
        version=review.version,
        updated_at=review.updated_at,
    )


def list_reviews(session: Session, evaluation: Evaluation, only: User | None) -> list[ReviewOut]:
    query = _query().where(Review.evaluation_id == evaluation.id)
    if only is not None:
        query = query.where(Review.reviewer_id == only.id)
    rows = session.execute(query.order_by(Review.example_id, Review.id))
    return [_out(review, name) for review, name in rows]


def _current(session: Session, evaluation: Evaluation, example_id: int, user: User) -> ReviewOut | None:
    row = session.execute(
        _query().where(
            Review.evaluation_id == evaluation.id, Review.example_id == example_id, Review.reviewer_id == user.id
        )
    ).first()
    return None if row is None else _out(row[0], row[1])


def _check_reviewable(session: Session, evaluation: Evaluation, example_id: int) -> None:
    if evaluation.kind != EvaluationKind.GENERATION:
        raise Invalid(
            f"evaluation {evaluation.id} scores a benchmark's choices: only generated answers can be reviewed",
            field="evaluation_id",
        )
    if evaluation.status != RunStatus.SUCCEEDED:
        raise Invalid(
            f"evaluation {evaluation.id} is {evaluation.status.value}: only a finished (succeeded) evaluation's "
            "answers can be reviewed",
            field="evaluation_id",
        )
    answered = session.scalar(
        select(EvaluationPrediction.id).where(
            EvaluationPrediction.evaluation_id == evaluation.id, EvaluationPrediction.example_id == example_id
        )
    )
    if answered is None:
        raise Invalid(
            f"example_id: example {example_id} is not one of evaluation {evaluation.id}'s answers", field="example_id"
        )


def save_review(session: Session, evaluation: Evaluation, user: User, review: ReviewIn) -> tuple[ReviewOut, bool]:
    """Create or replace the caller's review of one example; True when created. The edit's `version` must be the
    stored one (none stored: null), else ReviewConflict: the check and the write are one conditional statement."""
    _check_reviewable(session, evaluation, review.example_id)
    values = {
        "verdict": review.verdict,
        "score": review.score,
        "tags": list(dict.fromkeys(review.tags)),  # a tag given twice counts once
        "note": review.note,
        "corrected_answer": review.corrected_answer
        if review.corrected_answer and review.corrected_answer.strip()
        else None,
        "updated_at": utcnow(),
    }
    key = {"evaluation_id": evaluation.id, "example_id": review.example_id, "reviewer_id": user.id}
    if review.version is None:
        try:
            session.add(Review(**key, **values, version=1))
            session.flush()
        except IntegrityError:
            # A save that started from no review, when one exists: another tab's (or a double) first save won.
            session.rollback()
            current = _current(session, evaluation, review.example_id, user)
            raise ReviewConflict(
                f"you already reviewed example {review.example_id} (version {current.version if current else '?'}): "
                "reload it and edit that one",
                current,
            ) from None
        current = _current(session, evaluation, review.example_id, user)
        assert current is not None
        return current, True
    updated = session.execute(
        update(Review)
        .where(*(getattr(Review, column) == value for column, value in key.items()), Review.version == review.version)
        .values(**values, version=Review.version + 1)
    )
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        current = _current(session, evaluation, review.example_id, user)
        stored = "it was deleted" if current is None else f"it is at version {current.version}"
        raise ReviewConflict(
            f"your review of example {review.example_id} changed since version {review.version} ({stored}): "
            "someone else changed this review; reload it",
            current,
        )
    current = _current(session, evaluation, review.example_id, user)
    assert current is not None
    return current, False


def delete_review(session: Session, evaluation: Evaluation, user: User, example_id: int, version: int) -> None:
    """Undo: delete the caller's review if it is still at `version`."""
    current = _current(session, evaluation, example_id, user)
    if current is None:
        raise NotFound(f"you have no review of example {example_id} in evaluation {evaluation.id}")
    deleted = session.execute(delete(Review).where(Review.id == current.id, Review.version == version))
    if deleted.rowcount != 1:  # type: ignore[attr-defined]
        now = _current(session, evaluation, example_id, user)
        raise ReviewConflict(
            f"your review of example {example_id} is no longer at version {version}: reload it before undoing", now
        )


def summarise(session: Session, evaluation: Evaluation) -> ReviewSummaryOut:
    examples = session.scalar(select(func.count()).where(EvaluationPrediction.evaluation_id == evaluation.id)) or 0
    reviews = list_reviews(session, evaluation, None)
    by_verdict = Counter(review.verdict.value for review in reviews)
    share = wilson_interval(by_verdict["correct"], len(reviews))
    tag_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for review in reviews:
        for tag in review.tags:
            tag_counts[tag][review.verdict.value] += 1
    tags = sorted(tag_counts.items(), key=lambda item: (-item[1].total(), item[0]))
    per_reviewer = Counter(review.reviewer for review in reviews)
    agreement = reviewer_agreement({(r.reviewer_id, r.example_id): r.verdict.value for r in reviews})

    people: dict[int, list[str]] = defaultdict(list)
    for review in reviews:
        people[review.example_id].append(review.verdict.value)
    judge_scores = {
        example_id: scores.get(JUDGE_SCORE)
        for example_id, scores in session.execute(
            select(EvaluationPrediction.example_id, EvaluationPrediction.scores).where(
                EvaluationPrediction.evaluation_id == evaluation.id
            )
        )
    }
    pairs = []
    for example_id, verdicts in people.items():
        score = judge_scores.get(example_id)
        reviewers_verdict = majority(verdicts)
        if score is not None and reviewers_verdict is not None:
            pairs.append((judge_verdict(score), reviewers_verdict))
    judge = judge_agreement(pairs)
    return ReviewSummaryOut(
        examples=examples,
        reviewed=len(people),
        by_verdict=VerdictCountsOut(
            correct=by_verdict["correct"], partly=by_verdict["partly"], wrong=by_verdict["wrong"]
        ),
        share_correct=None
        if share is None
        else ShareOut(value=share.value, ci_low=share.ci_low, ci_high=share.ci_high),
        tags=[
            TagCountsOut(tag=tag, correct=counts["correct"], partly=counts["partly"], wrong=counts["wrong"])
            for tag, counts in tags
        ],
        reviewers=[ReviewerCountOut(reviewer=name, reviewed=count) for name, count in sorted(per_reviewer.items())],
        agreement=None
        if agreement is None
        else AgreementOut(
            method=agreement.method,  # type: ignore[arg-type]
            value=agreement.value,
            shared_examples=agreement.shared_examples,
            reviewers=agreement.reviewers,
        ),
        judge_agreement=None
        if judge is None
        else JudgeAgreementOut(agreement_rate=judge.agreement_rate, kappa=judge.kappa, examples=judge.examples),
    )
