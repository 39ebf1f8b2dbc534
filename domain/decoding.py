"""How a model's answers are decoded: greedy, or sampled with a seed. The API validates it, the evaluation stores it,
and worker.training.generate follows it."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.config import MAX_SEED

MAX_EVALUATION_NEW_TOKENS = 1024

StopString = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class Decoding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: Literal["greedy", "sampling"] = Field(
        "greedy",
        description=(
            "greedy: always the likeliest next token, the same answer every time. sampling: drawn at random within "
            "temperature/top_p/top_k, reproducible with the same seed."
        ),
    )
    temperature: float = Field(
        1.0, gt=0.0, le=2.0, description="Sampling: below 1 more focused, above 1 more varied. Ignored when greedy."
    )
    top_p: float = Field(
        1.0, gt=0.0, le=1.0, description="Sampling: draw from the likeliest tokens that make up this probability mass."
    )
    top_k: int = Field(50, ge=0, description="Sampling: draw from the K likeliest tokens; 0: no limit.")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Sampling: the same seed gives the same answers (0 to 2^32-1).")
    max_new_tokens: int | None = Field(
        None,
        ge=1,
        le=MAX_EVALUATION_NEW_TOKENS,
        description="Longest answer in tokens. Empty: the run's max_new_tokens. Longer: slower, fewer cut answers.",
    )
    repetition_penalty: float = Field(
        1.0, ge=1.0, le=2.0, description="Above 1 discourages repeating tokens already written; 1: off."
    )
    stop: list[StopString] = Field(
        [], max_length=4, description="Up to 4 strings (50 characters each) that end an answer; not part of it."
    )
