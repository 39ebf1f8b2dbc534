"""Blind A/B comparisons between two generation evaluations: each reviewer gets the shared examples one by one in
their own stable random order, the two answers on sides drawn at random, and votes by position; results by model."""

import json
import random
import secrets
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from backend.auth.ownership import owned_by
from backend.comparisons.schemas import (
    BlindComparisonOut,
    BlindPairOut,
    ComparisonCreate,
    RankedModelOut,
    RankingOut,
    VoteIn,
    VoteOut,
)
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.params import parse_id_list
from backend.evaluations.service import get_evaluation
from backend.models import (
    AnswerSource,
    Comparison,
    ComparisonPair,
    DatasetExample,
    Evaluation,
    EvaluationKind,
    EvaluationPrediction,
    Run,
    RunStatus,
    User,
    VoteChoice,
    VoteWinner,
    utcnow,
)
from backend.reviews.schemas import ShareOut
from domain.records import RECORD, instruction_and_input
from domain.reviews import ranking, wilson_interval

MIN_RANKED = 3
MAX_RANKED = 20


def _shared_examples(session: Session, a_id: int, b_id: int) -> list[int]:
    def answered(evaluation_id: int) -> set[int]:
        return set(
            session.scalars(
                select(EvaluationPrediction.example_id).where(EvaluationPrediction.evaluation_id == evaluation_id)
            )
        )

    return sorted(answered(a_id) & answered(b_id))


def _comparable(session: Session, user: User, evaluation_id: int, field: str) -> Evaluation:
    evaluation = get_evaluation(session, evaluation_id, user)
    if evaluation.kind != EvaluationKind.GENERATION:
        raise Invalid(
            f"{field}: evaluation {evaluation.id} scores a benchmark's choices; compare generated answers", field=field
        )
    if evaluation.status != RunStatus.SUCCEEDED:
        raise Invalid(
            f"{field}: evaluation {evaluation.id} is {evaluation.status.value}; compare finished evaluations",
            field=field,
        )
    return evaluation


def create_comparison(session: Session, user: User, request: ComparisonCreate) -> BlindComparisonOut:
    a = _comparable(session, user, request.evaluation_a, "evaluation_a")
    b = _comparable(session, user, request.evaluation_b, "evaluation_b")
    if a.id == b.id:
        raise Invalid("evaluation_b: pick a different evaluation from evaluation_a", field="evaluation_b")
    if not _shared_examples(session, a.id, b.id):
        raise Invalid(
            f"evaluation_b: evaluations {a.id} and {b.id} answered no example in common; compare evaluations of the "
            "same examples",
            field="evaluation_b",
        )
    comparison = Comparison(owner_id=user.id, evaluation_a_id=a.id, evaluation_b_id=b.id)
    session.add(comparison)
    session.flush()
    return result(session, comparison)


def _visible(user: User) -> Select[Comparison]:
    """Comparisons between evaluations the user can see (both of them)."""
    a, b = aliased(Evaluation), aliased(Evaluation)
    return (
        select(Comparison)
        .join(a, a.id == Comparison.evaluation_a_id)
        .join(b, b.id == Comparison.evaluation_b_id)
        .where(owned_by(user, a.owner_id), owned_by(user, b.owner_id))
    )


def get_comparison(session: Session, comparison_id: int, user: User) -> Comparison:
    comparison = session.scalar(_visible(user).where(Comparison.id == comparison_id))
    if comparison is None:
        raise NotFound(f"comparison {comparison_id} not found")
    return comparison


def list_comparisons(session: Session, user: User, evaluation_id: int | None) -> list[BlindComparisonOut]:
    query = _visible(user)
    if evaluation_id is not None:
        query = query.where(
            (Comparison.evaluation_a_id == evaluation_id) | (Comparison.evaluation_b_id == evaluation_id)
        )
    return [result(session, comparison) for comparison in session.scalars(query.order_by(Comparison.id))]


def model_name(session: Session, evaluation: Evaluation) -> str:
    """What answered, in words: "run 3 fine-tuned", "run 3 fine-tuned (step 40)", "base model SmolLM2-135M"."""
    run = session.get(Run, evaluation.run_id) if evaluation.run_id is not None else None
    if run is None:
        return f"evaluation {evaluation.id}"
    if evaluation.model == AnswerSource.BASE:
        return f"base model {run.base_model}"
    step = "" if evaluation.checkpoint_step is None else f" (step {evaluation.checkpoint_step})"
    return f"run {run.id} fine-tuned{step}"


def _names(session: Session, comparison: Comparison) -> tuple[str, str]:
    a = session.get_one(Evaluation, comparison.evaluation_a_id)
    b = session.get_one(Evaluation, comparison.evaluation_b_id)
    a_name, b_name = model_name(session, a), model_name(session, b)
    if a_name == b_name:  # two evaluations of one model (other decoding, other data): tell them apart
        a_name, b_name = f"{a_name}, evaluation {a.id}", f"{b_name}, evaluation {b.id}"
    return a_name, b_name


def _answers(session: Session, evaluation_id: int) -> dict[int, str]:
    rows = session.execute(
        select(EvaluationPrediction.example_id, EvaluationPrediction.generated).where(
            EvaluationPrediction.evaluation_id == evaluation_id
        )
    )
    return {example_id: generated for example_id, generated in rows}


def _words(text: str) -> int:
    return len(text.split())


def _mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


def result(session: Session, comparison: Comparison) -> BlindComparisonOut:
    """Every reviewer's votes so far, by model."""
    votes = list(
        session.execute(
            select(ComparisonPair.example_id, ComparisonPair.winner).where(
                ComparisonPair.comparison_id == comparison.id, ComparisonPair.winner.is_not(None)
            )
        ).tuples()
    )
    counts = Counter(winner for _example, winner in votes)
    a_answers, b_answers = _answers(session, comparison.evaluation_a_id), _answers(session, comparison.evaluation_b_id)
    chosen, rejected = [], []
    for example_id, winner in votes:
        if winner in (VoteWinner.A, VoteWinner.B):
            win, lose = (a_answers, b_answers) if winner == VoteWinner.A else (b_answers, a_answers)
            chosen.append(_words(win[example_id]))
            rejected.append(_words(lose[example_id]))
    share = wilson_interval(counts[VoteWinner.A], counts[VoteWinner.A] + counts[VoteWinner.B])
    a_name, b_name = _names(session, comparison)
    return BlindComparisonOut(
        id=comparison.id,
        evaluation_a=comparison.evaluation_a_id,
        evaluation_b=comparison.evaluation_b_id,
        a_name=a_name,
        b_name=b_name,
        total=len(_shared_examples(session, comparison.evaluation_a_id, comparison.evaluation_b_id)),
        votes=len(votes),
        a_wins=counts[VoteWinner.A],
        b_wins=counts[VoteWinner.B],
        ties=counts[VoteWinner.TIE],
        both_bad=counts[VoteWinner.BOTH_BAD],
        a_win_rate=None if share is None else ShareOut(value=share.value, ci_low=share.ci_low, ci_high=share.ci_high),
        preferred_length=_mean(chosen),
        rejected_length=_mean(rejected),
        created_at=comparison.created_at,
    )


def _pending(session: Session, comparison: Comparison, user: User) -> ComparisonPair | None:
    return session.scalar(
        select(ComparisonPair).where(
            ComparisonPair.comparison_id == comparison.id,
            ComparisonPair.reviewer_id == user.id,
            ComparisonPair.choice.is_(None),
        )
    )


def next_pair(session: Session, comparison: Comparison, user: User) -> BlindPairOut | None:
    """The caller's pending pair, else a new one: the next shared example in the caller's own order (shuffled with a
    seed of the comparison and the reviewer, so it is stable across visits and differs between reviewers). None when
    the caller has voted on every example."""
    shared = _shared_examples(session, comparison.evaluation_a_id, comparison.evaluation_b_id)
    pair = _pending(session, comparison, user)
    if pair is None:
        seen = set(
            session.scalars(
                select(ComparisonPair.example_id).where(
                    ComparisonPair.comparison_id == comparison.id, ComparisonPair.reviewer_id == user.id
                )
            )
        )
        order = list(shared)
        random.Random(f"{comparison.id}/{user.id}").shuffle(order)
        example_id = next((example for example in order if example not in seen), None)
        if example_id is None:
            return None
        pair = ComparisonPair(
            comparison_id=comparison.id,
            example_id=example_id,
            reviewer_id=user.id,
            a_on_left=secrets.randbelow(2) == 0,  # not from the seed: the side must not be guessable
        )
        try:
            session.add(pair)
            session.flush()
        except IntegrityError:
            session.rollback()  # the same reviewer's other request made this pair first: show that one
            pair = _pending(session, comparison, user)
            if pair is None:
                return next_pair(session, comparison, user)
    voted = session.scalar(
        select(func.count()).where(
            ComparisonPair.comparison_id == comparison.id,
            ComparisonPair.reviewer_id == user.id,
            ComparisonPair.choice.is_not(None),
        )
    )
    a, b = (
        _prediction(session, comparison.evaluation_a_id, pair.example_id),
        _prediction(session, comparison.evaluation_b_id, pair.example_id),
    )
    record = session.scalar(select(DatasetExample.record).where(DatasetExample.id == pair.example_id))
    instruction, input_text = instruction_and_input(RECORD.validate_python(record))
    left, right = (a, b) if pair.a_on_left else (b, a)
    return BlindPairOut(
        pair_id=pair.id,
        instruction=instruction,
        input=input_text,
        expected=a.expected,
        left=left.generated,
        right=right.generated,
        voted=voted or 0,
        total=len(shared),
    )


def _prediction(session: Session, evaluation_id: int, example_id: int) -> EvaluationPrediction:
    return session.scalars(
        select(EvaluationPrediction).where(
            EvaluationPrediction.evaluation_id == evaluation_id, EvaluationPrediction.example_id == example_id
        )
    ).one()


def _winner(choice: VoteChoice, a_on_left: bool) -> VoteWinner:
    if choice == VoteChoice.TIE:
        return VoteWinner.TIE
    if choice == VoteChoice.BOTH_BAD:
        return VoteWinner.BOTH_BAD
    return VoteWinner.A if (choice == VoteChoice.LEFT) == a_on_left else VoteWinner.B


def vote(session: Session, comparison: Comparison, user: User, request: VoteIn) -> VoteOut:
    pair = session.get(ComparisonPair, request.pair_id)
    if pair is None or pair.comparison_id != comparison.id or pair.reviewer_id != user.id:
        raise NotFound(f"pair {request.pair_id} not found in your pairs of comparison {comparison.id}")
    # Conditional: of two votes on one pair sent at once, one wins and the other answers 409.
    voted = session.execute(
        update(ComparisonPair)
        .where(ComparisonPair.id == pair.id, ComparisonPair.choice.is_(None))
        .values(choice=request.choice, winner=_winner(request.choice, pair.a_on_left), voted_at=utcnow())
    )
    if voted.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"you already voted on pair {pair.id}; ask for the next pair", field="pair_id")
    a_name, b_name = _names(session, comparison)
    left, right = (a_name, b_name) if pair.a_on_left else (b_name, a_name)
    return VoteOut(pair_id=pair.id, choice=request.choice, left_model=left, right_model=right)


def parse_ids(raw: str) -> list[int]:
    """`1,2,3` as evaluation ids: 3 to 20 different ones."""
    return parse_id_list(
        raw,
        name="evaluation_ids",
        noun="evaluation",
        minimum=MIN_RANKED,
        maximum=MAX_RANKED,
        verb="rank",
        advice="two are compared by GET /api/comparisons/{id}",
    )


def rank(session: Session, user: User, evaluation_ids: list[int]) -> RankingOut:
    """A Bradley-Terry ranking from every decisive vote in the comparisons between any two of the evaluations."""
    evaluations = [get_evaluation(session, evaluation_id, user) for evaluation_id in evaluation_ids]
    index = {evaluation.id: i for i, evaluation in enumerate(evaluations)}
    rows = session.execute(
        select(Comparison.evaluation_a_id, Comparison.evaluation_b_id, ComparisonPair.winner)
        .join(ComparisonPair, ComparisonPair.comparison_id == Comparison.id)
        .where(
            Comparison.evaluation_a_id.in_(evaluation_ids),
            Comparison.evaluation_b_id.in_(evaluation_ids),
            ComparisonPair.winner.in_((VoteWinner.A, VoteWinner.B)),
        )
        .order_by(ComparisonPair.id)  # the bootstrap resamples by position: the same votes, the same intervals
    )
    wins = [(index[a], index[b]) if winner == VoteWinner.A else (index[b], index[a]) for a, b, winner in rows.tuples()]
    won, lost = Counter(w for w, _l in wins), Counter(loser for _w, loser in wins)
    return RankingOut(
        votes=len(wins),
        items=[
            RankedModelOut(
                evaluation_id=evaluations[strength.model].id,
                name=f"{model_name(session, evaluations[strength.model])}, evaluation {evaluations[strength.model].id}",
                strength=strength.value,
                ci_low=strength.ci_low,
                ci_high=strength.ci_high,
                wins=won[strength.model],
                losses=lost[strength.model],
            )
            for strength in ranking(len(evaluations), wins)
        ],
    )


def preference_pairs(session: Session, comparison: Comparison) -> list[str]:
    """JSONL lines {prompt, chosen, rejected}, one per decisive vote, the prompt as evaluation A rendered it."""
    a = {p.example_id: p for p in session.scalars(_predictions(comparison.evaluation_a_id))}
    b = {p.example_id: p for p in session.scalars(_predictions(comparison.evaluation_b_id))}
    votes = session.execute(
        select(ComparisonPair.example_id, ComparisonPair.winner)
        .where(
            ComparisonPair.comparison_id == comparison.id,
            ComparisonPair.winner.in_((VoteWinner.A, VoteWinner.B)),
        )
        .order_by(ComparisonPair.id)
    )
    lines = []
    for example_id, winner in votes.tuples():
        chosen, rejected = (a, b) if winner == VoteWinner.A else (b, a)
        row = {
            "prompt": a[example_id].prompt,
            "chosen": chosen[example_id].generated,
            "rejected": rejected[example_id].generated,
        }
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
    return lines


def _predictions(evaluation_id: int) -> Select[EvaluationPrediction]:
    return select(EvaluationPrediction).where(EvaluationPrediction.evaluation_id == evaluation_id)
