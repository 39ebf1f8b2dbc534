"""Statistics over people's reviews of answers: a share with its Wilson interval, agreement between reviewers, the
judge's agreement with them, and a Bradley-Terry ranking of models from blind A/B votes."""

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from nltk.metrics.agreement import AnnotationTask

# The normal quantile of a two-sided 95% interval.
Z_95 = 1.959963984540054

# A judge's score (0-1) read as a verdict, to set it against a reviewer's: at least 0.7 correct, at least 0.4 partly.
JUDGE_CORRECT_FROM = 0.7
JUDGE_PARTLY_FROM = 0.4

# Bradley-Terry: every pair of models is given this many wins each way before the votes, so that a model that never
# won (or a pair never compared) has a finite strength; small enough to vanish beside a few real votes.
PRIOR_WINS = 0.1
BOOTSTRAP_RESAMPLES = 200
RANKING_SEED = 0


@dataclass(frozen=True)
class Proportion:
    value: float
    ci_low: float
    ci_high: float


def wilson_interval(successes: float, trials: float) -> Proportion | None:
    """The share with its Wilson score 95% interval, which stays inside [0, 1] and is honest for small counts and
    shares near 0 or 1 (where the normal approximation is not). None without trials."""
    if trials <= 0:
        return None
    share = successes / trials
    z2 = Z_95**2
    centre = (share + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z_95 / (1 + z2 / trials) * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials**2))
    return Proportion(share, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Agreement:
    method: str  # cohen_kappa (two reviewers) or krippendorff_alpha (three or more)
    value: float
    shared_examples: int  # examples reviewed by at least two of the reviewers
    reviewers: int


def reviewer_agreement(verdicts: Mapping[tuple[int, int], str]) -> Agreement | None:
    """Chance-corrected agreement on the examples that several reviewers reviewed, from {(reviewer, example): verdict}.

    Two reviewers: Cohen's kappa over the examples both reviewed. Three or more: Krippendorff's alpha, which takes
    examples reviewed by any two or more of them (missing reviews are allowed). None without a shared example."""
    by_example: dict[int, dict[int, str]] = {}
    for (reviewer, example), verdict in verdicts.items():
        by_example.setdefault(example, {})[reviewer] = verdict
    shared = {example: labels for example, labels in by_example.items() if len(labels) >= 2}
    reviewers = {reviewer for labels in shared.values() for reviewer in labels}
    if not shared:
        return None
    data = [
        (str(reviewer), str(example), verdict)
        for example, labels in shared.items()
        for reviewer, verdict in labels.items()
    ]
    task = AnnotationTask(data=data)
    if len(reviewers) == 2:
        return Agreement("cohen_kappa", float(task.kappa()), len(shared), 2)
    return Agreement("krippendorff_alpha", float(task.alpha()), len(shared), len(reviewers))


def judge_verdict(score: float) -> str:
    if score >= JUDGE_CORRECT_FROM:
        return "correct"
    if score >= JUDGE_PARTLY_FROM:
        return "partly"
    return "wrong"


def majority(verdicts: Sequence[str]) -> str | None:
    """The verdict most reviewers gave; None on a tie for the most."""
    counts = Counter(verdicts).most_common()
    if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
        return None
    return counts[0][0]


@dataclass(frozen=True)
class JudgeAgreement:
    agreement_rate: float  # the share of examples where the judge's verdict is the reviewers'
    kappa: float  # Cohen's kappa between the judge and the reviewers' verdict
    examples: int


def judge_agreement(pairs: Sequence[tuple[str, str]]) -> JudgeAgreement | None:
    """The judge against the reviewers, from (judge verdict, reviewers' verdict) per example. None without any."""
    if not pairs:
        return None
    data = [
        (coder, str(index), verdict)
        for index, pair in enumerate(pairs)
        for coder, verdict in zip(("judge", "people"), pair, strict=True)
    ]
    kappa = float(AnnotationTask(data=data).kappa())
    rate = sum(judge == people for judge, people in pairs) / len(pairs)
    return JudgeAgreement(rate, kappa, len(pairs))


@dataclass(frozen=True)
class Strength:
    model: int  # the index given
    value: float  # the Bradley-Terry strength, normalised to sum to 1: P(i beats j) = s_i / (s_i + s_j)
    ci_low: float
    ci_high: float


def bradley_terry(models: int, wins: Sequence[tuple[int, int]], iterations: int = 500) -> np.ndarray:
    """Strengths (summing to 1) from (winner, loser) pairs by Hunter's MM iteration, with PRIOR_WINS each way."""
    won = np.full((models, models), PRIOR_WINS)  # won[i, j]: times i beat j
    np.fill_diagonal(won, 0.0)
    for winner, loser in wins:
        won[winner, loser] += 1
    games = won + won.T
    total_wins = won.sum(axis=1)
    strength = np.full(models, 1.0 / models)
    for _ in range(iterations):
        denominator = (games / (strength[:, None] + strength[None, :])).sum(axis=1)
        updated = total_wins / denominator
        updated /= updated.sum()
        if np.allclose(updated, strength, rtol=0, atol=1e-10):
            strength = updated
            break
        strength = updated
    return strength


def ranking(models: int, wins: Sequence[tuple[int, int]]) -> list[Strength]:
    """Each model's strength with a 95% percentile bootstrap interval (the votes resampled with replacement, a fixed
    seed: the same votes always give the same intervals), best first."""
    point = bradley_terry(models, wins)
    rng = np.random.Generator(np.random.PCG64(RANKING_SEED))
    draws = np.empty((BOOTSTRAP_RESAMPLES, models))
    for draw in range(BOOTSTRAP_RESAMPLES):
        picked = rng.integers(0, len(wins), size=len(wins))
        draws[draw] = bradley_terry(models, [wins[i] for i in picked])
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    strengths = [Strength(i, float(point[i]), float(low[i]), float(high[i])) for i in range(models)]
    return sorted(strengths, key=lambda s: -s.value)
