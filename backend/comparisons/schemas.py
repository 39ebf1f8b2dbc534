from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from backend.core.params import Id
from backend.models import VoteChoice
from backend.reviews.schemas import ShareOut


class ComparisonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evaluation_a: Id = Field(description="A finished generation evaluation, e.g. the base model's.")
    evaluation_b: Id = Field(
        description="Another one with at least one example in common, e.g. the fine-tuned model's."
    )


class BlindComparisonOut(BaseModel):
    id: int
    evaluation_a: int
    evaluation_b: int
    a_name: str
    b_name: str
    total: int = Field(description="Examples both evaluations answered: the pairs each reviewer votes on.")
    votes: int = Field(description="Votes by every reviewer.")
    a_wins: int
    b_wins: int
    ties: int
    both_bad: int
    a_win_rate: ShareOut | None = Field(
        description="A's share of the decisive votes (A or B won; ties and both-bad left out), with a Wilson 95% "
        "interval; null without a decisive vote."
    )
    preferred_length: float | None = Field(
        description="Mean words of the chosen answers over decisive votes: longer answers tend to win more often "
        "than they should, compare with rejected_length."
    )
    rejected_length: float | None = Field(description="Mean words of the rejected answers over decisive votes.")
    created_at: datetime


class BlindPairOut(BaseModel):
    pair_id: int
    instruction: str
    input: str
    expected: str
    left: str = Field(description="One model's answer; which one is drawn at random per pair and not said.")
    right: str
    voted: int = Field(description="Your votes in this comparison so far.")
    total: int = Field(description="The pairs to vote on: the examples both evaluations answered.")


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pair_id: Id
    choice: VoteChoice = Field(description="left, right, tie or both_bad: by position, as shown.")


class VoteOut(BaseModel):
    pair_id: int
    choice: VoteChoice
    left_model: str = Field(description="Which model answered on the left: show it only when the reviewer asks.")
    right_model: str


class RankedModelOut(BaseModel):
    evaluation_id: int
    name: str
    strength: float = Field(
        description="Bradley-Terry strength, the strengths summing to 1: P(this beats another) = s / (s + s_other)."
    )
    ci_low: float = Field(description="95% bootstrap interval (votes resampled, fixed seed), low end.")
    ci_high: float
    wins: int
    losses: int


class RankingOut(BaseModel):
    votes: int = Field(description="Decisive votes between these evaluations (ties and both-bad left out).")
    items: list[RankedModelOut] = Field(description="Best first.")
