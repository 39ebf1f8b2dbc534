"""Examples and prompt templates: the one renderer that training, generation and the API's preview all use.

Pure Python (pydantic + a sandboxed Jinja), no torch, so the API renders exactly the trainer's text.

A template turns a record into segments: text the model only reads (prompt, user turns) and text it is
trained to produce (the answers). Tokenising segment by segment gives the loss mask without guessing
where the prompt ends.
"""

from dataclasses import dataclass
from typing import Annotated, Literal

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field

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
Example = AlpacaRecord  # the common case; kept as a short name for tests and scripts

TemplateName = Literal["alpaca", "phi3", "chatml", "model", "plain", "custom"]
TEMPLATE_DESCRIPTIONS: dict[TemplateName, str] = {
    "alpaca": "Alpaca: '### Instruction:' / '### Input:' (left out when the input is empty) / '### Response:'.",
    "phi3": "Phi-3 style turns: <|User|> ... <|Assistant|> ...",
    "chatml": "ChatML: <|im_start|>role ... <|im_end|> (SmolLM2, Qwen and many others are trained on it).",
    "model": "The base model's own chat template (from its tokenizer), exactly as it was instruction-tuned.",
    "plain": "No wrapping: the prompt as it is, then the answer. For prompt/completion data that is already formatted.",
    "custom": "Your own Jinja template, rendered in a sandbox; see the help on the preview page.",
}

ALPACA_PREAMBLE = "Below is an instruction that describes a task{with_input}. Write a response that appropriately completes the request."


@dataclass(frozen=True)
class Segment:
    text: str
    trained: bool  # True: part of an answer, a target of the loss when completion-only loss is on


@dataclass(frozen=True)
class RenderedExample:
    segments: tuple[Segment, ...]

    @property
    def prompt(self) -> str:
        """Everything before the last answer: what generation starts from."""
        last = max(i for i, s in enumerate(self.segments) if s.trained)
        return "".join(s.text for s in self.segments[:last])

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


class TemplateRenderError(ValueError):
    pass


@dataclass(frozen=True)
class TemplateContext:
    """What some templates need besides the record: the model's own chat template, a user template."""

    chat_template: str | None = None
    custom_template: str | None = None


def as_messages(record: AlpacaRecord | PromptCompletionRecord | ChatRecord) -> tuple[Message, ...]:
    """Single-turn records as a chat: the instruction and the input in one user turn."""
    if isinstance(record, ChatRecord):
        return record.messages
    if isinstance(record, AlpacaRecord):
        user = record.instruction if not record.input.strip() else f"{record.instruction}\n\n{record.input}"
        return (Message(role="user", content=user), Message(role="assistant", content=record.output))
    return (Message(role="user", content=record.prompt), Message(role="assistant", content=record.completion))


def final_answer(record: AlpacaRecord | PromptCompletionRecord | ChatRecord) -> str:
    """The expected answer shown next to the generated one: the last assistant turn, without template markers."""
    return as_messages(record)[-1].content


def _alpaca(record: AlpacaRecord | PromptCompletionRecord | ChatRecord) -> list[Segment]:
    if isinstance(record, ChatRecord):
        raise TemplateRenderError(
            "the Alpaca template takes instruction/output rows; use ChatML or the model's own for chats"
        )
    if isinstance(record, PromptCompletionRecord):
        record = AlpacaRecord(instruction=record.prompt, output=record.completion)
    if record.input.strip():
        head = ALPACA_PREAMBLE.format(with_input=", paired with an input that provides further context")
        prompt = f"{head}\n\n### Instruction:\n{record.instruction}\n\n### Input:\n{record.input}\n\n### Response:\n"
    else:
        prompt = f"{ALPACA_PREAMBLE.format(with_input='')}\n\n### Instruction:\n{record.instruction}\n\n### Response:\n"
    return [Segment(prompt, False), Segment(record.output, True)]


def _turns(messages: tuple[Message, ...], opener: dict[Role, str], closer: str) -> list[Segment]:
    segments: list[Segment] = []
    for message in messages:
        if message.role == "assistant":
            segments.append(Segment(opener["assistant"], False))
            # The closing marker is trained too: it is how the model learns to end its turn.
            segments.append(Segment(message.content + closer, True))
            segments.append(Segment("\n", False))
        else:
            segments.append(Segment(f"{opener[message.role]}{message.content}{closer}\n", False))
    return segments


def _chatml(record: AlpacaRecord | PromptCompletionRecord | ChatRecord) -> list[Segment]:
    opener: dict[Role, str] = {role: f"<|im_start|>{role}\n" for role in ("system", "user", "assistant")}
    return _turns(as_messages(record), opener, "<|im_end|>")


def _phi3(record: AlpacaRecord | PromptCompletionRecord | ChatRecord) -> list[Segment]:
    opener: dict[Role, str] = {"system": "<|System|>\n", "user": "<|User|>\n", "assistant": "<|Assistant|>\n"}
    return _turns(as_messages(record), opener, "<|end|>")


def _plain(record: AlpacaRecord | PromptCompletionRecord | ChatRecord) -> list[Segment]:
    if isinstance(record, ChatRecord):
        raise TemplateRenderError(
            "the plain template takes prompt/completion rows; use ChatML or the model's own for chats"
        )
    messages = as_messages(record)
    return [Segment(messages[0].content, False), Segment(messages[1].content, True)]


_SANDBOX = ImmutableSandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _jinja_turns(source: str, messages: tuple[Message, ...], what: str) -> list[Segment]:
    """Split a whole-conversation chat template into segments by rendering growing prefixes of the conversation.

    The text up to an assistant turn, rendered with add_generation_prompt=True, is the context; what the
    conversation including that turn adds on top of it is the answer. Hugging Face chat templates follow this.
    """
    try:
        template = _SANDBOX.from_string(source)
    except TemplateError as exc:
        raise TemplateRenderError(f"{what} does not parse: {exc}") from exc

    def render(prefix: tuple[Message, ...], generation_prompt: bool) -> str:
        try:
            return template.render(
                messages=[m.model_dump() for m in prefix],
                add_generation_prompt=generation_prompt,
                bos_token="",
                eos_token="",
            )
        except TemplateError as exc:
            raise TemplateRenderError(f"{what} failed: {exc}") from exc

    segments: list[Segment] = []
    done = ""
    for index, message in enumerate(messages):
        if message.role != "assistant":
            continue
        context = render(messages[:index], True)
        through = render(messages[: index + 1], False)
        if not context.startswith(done) or not through.startswith(context):
            raise TemplateRenderError(
                f"{what} does not render a conversation as growing prefixes; it cannot mark answers"
            )
        segments += [Segment(context[len(done) :], False), Segment(through[len(context) :], True)]
        done = through
    return segments


def render(
    template: TemplateName,
    record: AlpacaRecord | PromptCompletionRecord | ChatRecord,
    context: TemplateContext = TemplateContext(),
) -> RenderedExample:
    if template == "model":
        if not context.chat_template:
            raise TemplateRenderError("this base model has no chat template of its own; pick ChatML or Alpaca")
        segments = _jinja_turns(context.chat_template, as_messages(record), "the model's chat template")
    elif template == "custom":
        if not context.custom_template:
            raise TemplateRenderError("the custom template is empty")
        segments = _jinja_turns(context.custom_template, as_messages(record), "the custom template")
    else:
        segments = {"alpaca": _alpaca, "chatml": _chatml, "phi3": _phi3, "plain": _plain}[template](record)
    kept = tuple(s for s in segments if s.text)
    if not any(s.trained for s in kept):
        raise TemplateRenderError("the example has no answer to train on (no assistant turn)")
    return RenderedExample(kept)
