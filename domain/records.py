"""The examples a dataset holds, in the three shapes people bring: Alpaca, prompt/completion and OpenAI-style chat."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Role = Literal["system", "user", "assistant"]


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class AlpacaRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    shape: Literal["alpaca"] = "alpaca"
    instruction: str
    input: str = ""
    output: str


class PromptCompletionRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    shape: Literal["prompt_completion"] = "prompt_completion"
    prompt: str
    completion: str


class ChatRecord(BaseModel):
    """OpenAI chat fine-tuning format: every assistant turn is trained on, the rest is context."""

    model_config = ConfigDict(frozen=True)

    shape: Literal["chat"] = "chat"
    messages: tuple[Message, ...]


Record = Annotated[AlpacaRecord | PromptCompletionRecord | ChatRecord, Field(discriminator="shape")]
AnyRecord = AlpacaRecord | PromptCompletionRecord | ChatRecord
# Validates a stored record (its JSON) back into its shape.
RECORD: TypeAdapter[AnyRecord] = TypeAdapter(Record)


def as_messages(record: AnyRecord) -> tuple[Message, ...]:
    """Single-turn records as a chat: the instruction and the input in one user turn."""
    if isinstance(record, ChatRecord):
        return record.messages
    if isinstance(record, AlpacaRecord):
        user = record.instruction if not record.input.strip() else f"{record.instruction}\n\n{record.input}"
        return (Message(role="user", content=user), Message(role="assistant", content=record.output))
    return (Message(role="user", content=record.prompt), Message(role="assistant", content=record.completion))


def final_answer(record: AnyRecord) -> str:
    """The expected answer shown next to the generated one: the last assistant turn, without template markers."""
    return next(m.content for m in reversed(as_messages(record)) if m.role == "assistant")


def final_question(record: AnyRecord) -> str:
    """What the user asked last, before the expected answer: a compact label for an example (no template, no
    earlier turns)."""
    messages = as_messages(record)
    last_answer = max(i for i, m in enumerate(messages) if m.role == "assistant")
    return next((m.content for m in reversed(messages[:last_answer]) if m.role == "user"), "")


def instruction_and_input(record: AnyRecord) -> tuple[str, str]:
    """What a person wrote for an example, without any template: an Alpaca record's instruction and input; else the
    last question before the expected answer (a prompt, or a chat's last user turn) and no input."""
    if isinstance(record, AlpacaRecord):
        return record.instruction, record.input
    return final_question(record), ""
