from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from backend.models import JudgeKind

_BASE_URL = (
    "openai only: the endpoint up to its API version, e.g. https://api.openai.com/v1 or http://localhost:8000/v1 "
    "(vLLM, Ollama, llama.cpp). The judge calls {base_url}/chat/completions."
)
_MODEL = "openai: the model the endpoint serves (e.g. gpt-4o-mini); base_model: a registered base model's name."
_API_KEY = (
    "openai only: stored encrypted and never shown again (responses say only `has_api_key`). Empty: the endpoint "
    "wants none, as a local server may."
)


def _http_url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL, e.g. https://api.openai.com/v1")
    return value


class JudgeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: JudgeKind = Field(
        JudgeKind.OPENAI,
        description="openai: any OpenAI-compatible chat endpoint, called by a light worker; base_model: a base "
        "model registered in the studio, loaded by a training worker (needs a chat template).",
    )
    base_url: str | None = Field(None, max_length=1000, description=_BASE_URL)
    model: str = Field(min_length=1, max_length=300, description=_MODEL)
    api_key: SecretStr | None = Field(None, max_length=1000, description=_API_KEY)

    _check_url = field_validator("base_url")(_http_url)


class JudgeUpdate(BaseModel):
    """Only what is sent changes. `api_key`: a new key replaces the stored one, "" removes it, null keeps it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    base_url: str | None = Field(None, max_length=1000, description=_BASE_URL)
    model: str | None = Field(None, min_length=1, max_length=300, description=_MODEL)
    api_key: SecretStr | None = Field(None, max_length=1000, description=_API_KEY)

    _check_url = field_validator("base_url")(_http_url)


class JudgeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: JudgeKind
    base_url: str | None
    model: str
    has_api_key: bool = Field(description="A key is stored (it is never returned).")
    created_at: datetime
    updated_at: datetime


class JudgeCheckOut(BaseModel):
    ok: bool = Field(description="The judge answered a test prompt with a usable score.")
    detail: str = Field(description="What happened, in one sentence.")
    reply: str | None = Field(None, description="The start of the judge's reply, when it gave one.")
    seconds: float = Field(description="How long the call took.")


class RubricOut(BaseModel):
    text: str
    placeholders: list[str] = Field(description="Every one must appear in an edited rubric, as {name}.")


class RubricsOut(BaseModel):
    score: RubricOut = Field(description="Grading one answer from 0 to 100 against the expected one.")
    pairwise: RubricOut = Field(description="Which of two answers is better; asked in both orders.")
