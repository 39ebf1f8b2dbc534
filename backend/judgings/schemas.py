from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from backend.core.params import Id
from backend.models import JudgeKind, JudgingKind, PairWinner, RunStatus

MAX_RUBRIC_CHARS = 20_000


class JudgeRequest(BaseModel):
    """Which judge grades an evaluation's answers, and with what rubric."""

    model_config = ConfigDict(extra="forbid")

    judge_id: Id = Field(description="One of your judges (GET /api/judges).")
    rubric: str | None = Field(
        None,
        max_length=MAX_RUBRIC_CHARS,
        description="What the judge is asked, with the placeholders {instruction}, {input}, {expected} and "
        "{response}. Empty: the default (GET /api/judges/rubrics).",
    )


class PairwiseJudgingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    a: Id = Field(description="An evaluation, e.g. the base model's.")
    b: Id = Field(description="An evaluation of the same examples, e.g. the fine-tuned model's.")
    judge_id: Id = Field(description="One of your judges (GET /api/judges).")
    rubric: str | None = Field(
        None,
        max_length=MAX_RUBRIC_CHARS,
        description="What the judge is asked, with the placeholders {instruction}, {input}, {answer_a} and "
        "{answer_b}. Empty: the default (GET /api/judges/rubrics).",
    )


class JudgingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: JudgingKind = Field(description="score: each answer graded 0-100; pairwise: A's answers against B's.")
    evaluation_id: int = Field(description="score: the evaluation graded; pairwise: A.")
    versus_evaluation_id: int | None = Field(description="pairwise: B.")
    judge_id: int | None = Field(description="None once the judge was deleted; its name and model stay below.")
    judge_name: str
    judge_kind: JudgeKind
    judge_model: str
    rubric: str
    status: RunStatus
    done: int = Field(description="Examples the judge has answered so far.")
    total: int
    judged: int = Field(description="Examples with a score (pairwise: a verdict).")
    not_judged: int = Field(description="Examples without one: an unreadable reply, a timeout, an HTTP error.")
    a_wins: int = Field(description="pairwise: A's answer better in both orders.")
    b_wins: int
    ties: int = Field(description="pairwise: a tie in both orders, or the two orders disagreeing.")
    prompt_tokens: int = Field(description="Tokens sent to the judge, as it counted them.")
    completion_tokens: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PairJudgementOut(BaseModel):
    example_id: int
    prompt: str
    expected: str
    a_generated: str
    b_generated: str
    winner: PairWinner | None = Field(description="None: not judged (see not_judged_reason).")
    verdict: str | None = Field(description="The judge's answer with A shown first: A, B or tie.")
    swapped_verdict: str | None = Field(description="With B shown first (as 'A'): A, B or tie.")
    explanation: str
    not_judged_reason: str | None
    prompt_tokens: int
    completion_tokens: int
