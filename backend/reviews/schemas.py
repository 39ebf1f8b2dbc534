from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.core.errors import ErrorBody
from backend.core.params import Id
from backend.models import ReviewVerdict, Split

MAX_TAGS = 10
MAX_NOTE_CHARS = 5000
MAX_ANSWER_CHARS = 50_000

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    example_id: Id = Field(description="The example whose answer is reviewed (one of the evaluation's).")
    verdict: ReviewVerdict
    score: int | None = Field(None, ge=1, le=5, description="Optional: 1 (useless) to 5 (perfect).")
    tags: list[Tag] = Field([], max_length=MAX_TAGS, description="Free text, 1-40 characters each, at most 10.")
    note: str = Field("", max_length=MAX_NOTE_CHARS)
    corrected_answer: str | None = Field(
        None, max_length=MAX_ANSWER_CHARS, description="What the answer should have been: a new dataset uses it."
    )
    version: Id | None = Field(
        None,
        description="The version of your review this edit started from; null when you saw none. A different stored "
        "version (someone, or another tab, saved in between) answers 409 with the current review.",
    )


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    evaluation_id: int
    example_id: int
    verdict: ReviewVerdict
    score: int | None
    tags: list[str]
    note: str
    corrected_answer: str | None
    reviewer: str = Field(description="The reviewer's display name.")
    reviewer_id: int
    version: int = Field(description="1 when created, +1 per edit: send it back with the next edit.")
    updated_at: datetime


class ReviewConflictBody(ErrorBody):
    current: ReviewOut | None = Field(description="Your review as stored now; null when it was deleted.")


class ShareOut(BaseModel):
    value: float
    ci_low: float = Field(description="Wilson score 95% interval, low end.")
    ci_high: float


class TagCountsOut(BaseModel):
    tag: str
    correct: int
    partly: int
    wrong: int


class ReviewerCountOut(BaseModel):
    reviewer: str
    reviewed: int


class AgreementOut(BaseModel):
    method: Literal["cohen_kappa", "krippendorff_alpha"] = Field(
        description="Cohen's kappa with two reviewers, Krippendorff's alpha with three or more."
    )
    value: float = Field(description="1: full agreement; 0: what chance gives; below 0: worse than chance.")
    shared_examples: int = Field(description="Examples reviewed by at least two reviewers: the agreement's basis.")
    reviewers: int


class JudgeAgreementOut(BaseModel):
    """The judge's score mapped to a verdict (at least 0.7: correct, at least 0.4: partly, else wrong) against the
    reviewers' verdict on each reviewed example the judge scored (their majority when several; ties skipped)."""

    agreement_rate: float = Field(description="The share of those examples where the two verdicts are the same.")
    kappa: float = Field(description="Cohen's kappa between the judge's verdicts and the reviewers'.")
    examples: int


class VerdictCountsOut(BaseModel):
    correct: int
    partly: int
    wrong: int


class ReviewSummaryOut(BaseModel):
    examples: int = Field(description="The evaluation's answers.")
    reviewed: int = Field(description="Answers with at least one review.")
    by_verdict: VerdictCountsOut = Field(description="Every reviewer's review counted.")
    share_correct: ShareOut | None = Field(description="The share of reviews that say correct; null without reviews.")
    tags: list[TagCountsOut] = Field(description="Each tag's reviews by verdict, most used first.")
    reviewers: list[ReviewerCountOut]
    agreement: AgreementOut | None = Field(description="Null unless two reviewers reviewed a same answer.")
    judge_agreement: JudgeAgreementOut | None = Field(description="Null unless a judge scored a reviewed answer.")


class ReviewDatasetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="The new dataset's name.")
    preview: bool = Field(False, description="Only say what would change; store nothing.")
    use_approved_answers: bool = Field(
        True, description="An answer reviewed as correct becomes the example's output (when it has no correction)."
    )
    drop_wrong: bool = Field(False, description="Leave out examples reviewed as wrong that have no corrected answer.")


class ChangedExampleOut(BaseModel):
    example_id: int
    split: Split
    instruction: str
    before: str
    after: str
    reason: Literal["corrected", "approved"] = Field(
        description="corrected: a reviewer's corrected answer; approved: the model's answer, reviewed as correct."
    )


class ReviewDatasetPreview(BaseModel):
    rows: int = Field(description="Examples the new dataset would have, every split.")
    changed: list[ChangedExampleOut]
    dropped: int = Field(description="Examples left out (drop_wrong).")


class DerivedDatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    derived_from_id: int | None
    num_rows: int
    num_train: int
    num_validation: int
    num_test: int
