"""Examples and prompt templates: the one renderer that training, generation and the API's preview all use.

Pure Python (pydantic + a sandboxed Jinja), no torch, so the API renders exactly the trainer's text.

A template turns a record into segments: text the model only reads (prompt, user turns) and text it is
trained to produce (the answers). `domain.tokenize` turns the segments into tokens and the loss mask.
"""

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import Any, Literal, NoReturn

from jinja2 import Environment, StrictUndefined, Template, TemplateError, Undefined, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from domain.records import AlpacaRecord, AnyRecord, ChatRecord, Message, PromptCompletionRecord, Role, as_messages
from domain.sandbox import MEMORY_BYTES, SandboxLimit, map_sandboxed

TemplateName = Literal["alpaca", "phi3", "chatml", "model", "plain", "custom"]
TEMPLATE_DESCRIPTIONS: dict[TemplateName, str] = {
    "alpaca": (
        "Alpaca: 'Below is an instruction…' then '### Instruction:', '### Input:' (left out when the input is "
        "empty) and '### Response:'. Single-turn rows only."
    ),
    "phi3": "Phi-3 chat turns: <|user|> … <|end|> <|assistant|> … <|end|> (Phi-3's own special tokens).",
    "chatml": "ChatML: <|im_start|>role … <|im_end|> (SmolLM2, Qwen and many others are trained on it).",
    "model": "The base model's own chat template (from its tokenizer), exactly as it was instruction-tuned.",
    "plain": (
        "No wrapping: the prompt as it is, then the answer. For prompt/completion rows that are already formatted; "
        "single-turn rows only."
    ),
    "custom": (
        "Your own Jinja chat template, rendered in a sandbox, with the variables of a Hugging Face chat template: "
        "messages (each with role and content) and add_generation_prompt."
    ),
}
# Default template by record shape (docs/datasets-api.md).
DEFAULT_TEMPLATES: dict[str, TemplateName] = {"alpaca": "alpaca", "prompt_completion": "plain", "chat": "chatml"}

ALPACA_PREAMBLE = "Below is an instruction that describes a task{with_input}. Write a response that appropriately completes the request."


@dataclass(frozen=True)
class Segment:
    text: str
    trained: bool  # True: part of an answer, a target of the loss when completion-only loss is on


@dataclass(frozen=True)
class RenderedExample:
    """The training text of one example, cut into alternating prompt and answer segments.

    It ends with the last answer: anything a template puts after it is dropped, as nothing follows the stop.
    """

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


def _single_turn(record: AnyRecord, template: str) -> AlpacaRecord | PromptCompletionRecord:
    if isinstance(record, ChatRecord):
        raise TemplateRenderError(
            f"the {template} template takes single-turn rows (instruction/output or prompt/completion), not chats; "
            "use ChatML, Phi-3 or the model's own template"
        )
    return record


def _alpaca(record: AnyRecord) -> list[Segment]:
    single = _single_turn(record, "Alpaca")
    if isinstance(single, PromptCompletionRecord):
        single = AlpacaRecord(instruction=single.prompt, output=single.completion)
    if single.input.strip():
        head = ALPACA_PREAMBLE.format(with_input=", paired with an input that provides further context")
        prompt = f"{head}\n\n### Instruction:\n{single.instruction}\n\n### Input:\n{single.input}\n\n### Response:\n"
    else:
        prompt = f"{ALPACA_PREAMBLE.format(with_input='')}\n\n### Instruction:\n{single.instruction}\n\n### Response:\n"
    return [Segment(prompt, False), Segment(single.output, True)]


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


def _chatml(record: AnyRecord) -> list[Segment]:
    opener: dict[Role, str] = {role: f"<|im_start|>{role}\n" for role in ("system", "user", "assistant")}
    return _turns(as_messages(record), opener, "<|im_end|>")


def _phi3(record: AnyRecord) -> list[Segment]:
    # Phi-3's chat template; the markers are single special tokens in its vocabulary (lower case).
    opener: dict[Role, str] = {"system": "<|system|>\n", "user": "<|user|>\n", "assistant": "<|assistant|>\n"}
    return _turns(as_messages(record), opener, "<|end|>")


def _plain(record: AnyRecord) -> list[Segment]:
    single = _single_turn(record, "plain")
    if isinstance(single, PromptCompletionRecord):
        return [Segment(single.prompt, False), Segment(single.completion, True)]
    # Instruction rows carry no separator of their own: a line break keeps the answer off the prompt's last line.
    return [Segment(as_messages(single)[0].content + "\n", False), Segment(single.output, True)]


# Sandbox limits: a template is user input, and the API renders it in its own process.
RENDER_SECONDS = 2.0  # per rendering of one conversation prefix
MAX_RENDERED_CHARS = 1_000_000
MAX_POWER_EXPONENT = 1000
_deadline: ContextVar[float] = ContextVar("template_deadline", default=math.inf)


def _check_budget() -> None:
    if time.monotonic() > _deadline.get():
        raise TemplateRenderError(f"it takes longer than {RENDER_SECONDS:g} s to render one example")


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox (no private attributes, no mutating methods, bounded range()) plus a time and
    size budget: every call checks the clock, and string/list repetition and powers are capped."""

    intercepted_binops = frozenset({"*", "**"})

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_budget()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER_EXPONENT:
            raise TemplateRenderError(f"exponents above {MAX_POWER_EXPONENT} are not allowed")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                repeated = isinstance(sequence, str | list | tuple) and isinstance(times, int)
                if repeated and len(sequence) * times > MAX_RENDERED_CHARS:
                    raise TemplateRenderError("a repetition makes a value longer than the template limit")
        return super().call_binop(context, operator, left, right)


class _GenerationTag(Extension):
    """Hugging Face chat templates may mark answers with {% generation %}…{% endgeneration %}: render the body."""

    tags = {"generation"}

    def parse(self, parser: Parser) -> list[nodes.Node]:
        next(parser.stream)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


def _raise_exception(message: str) -> NoReturn:
    raise TemplateError(message)


def _strftime_now(format: str) -> str:
    return datetime.now().strftime(format)


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, sort_keys: bool = False) -> str:
    # Like transformers' chat templates: plain JSON, not Jinja's HTML-escaped one.
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, sort_keys=sort_keys)


def _environment(undefined: type[Undefined]) -> Environment:
    # The same settings transformers renders chat templates with, so a model's own template renders identically.
    env = _Sandbox(
        undefined=undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_GenerationTag, "jinja2.ext.loopcontrols"],
    )
    env.globals.pop("lipsum", None)  # generates arbitrarily much text in one call
    env.globals.update(raise_exception=_raise_exception, strftime_now=_strftime_now)
    env.filters["tojson"] = _tojson
    return env


# Models' templates test optional variables (`{% if tools %}`), as transformers allows; a user's own template gets
# strict errors, so a misspelt variable is reported rather than rendered as nothing.
_MODEL_ENV = _environment(Undefined)
_CUSTOM_ENV = _environment(StrictUndefined)


def _render_limited(template: Template, variables: dict[str, Any]) -> str:
    token = _deadline.set(time.monotonic() + RENDER_SECONDS)
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_RENDERED_CHARS:
                raise TemplateRenderError(f"it renders more than {MAX_RENDERED_CHARS:,} characters")
            _check_budget()
            parts.append(chunk)
        return "".join(parts)
    finally:
        _deadline.reset(token)


def _split_trailing_space(text: str) -> tuple[str, str]:
    stripped = text.rstrip()
    return stripped, text[len(stripped) :]


@lru_cache(maxsize=32)
def _compile(strict: bool, source: str) -> Template:
    # Compiling costs ~1 ms, rendering ~0.1 ms: a dataset's thousands of rows share one compiled template.
    return (_CUSTOM_ENV if strict else _MODEL_ENV).from_string(source)


def _jinja_turns(strict: bool, source: str, messages: tuple[Message, ...], what: str) -> list[Segment]:
    """Split a whole-conversation chat template into segments by rendering growing prefixes of the conversation.

    The text up to an assistant turn, rendered with add_generation_prompt=True, is the context; what the
    conversation including that turn adds on top of it is the answer (its trailing line break is context).
    bos_token and eos_token render as nothing: the tokenizer adds the BOS the model expects and the eos after
    the last answer (domain.tokenize).
    """
    try:
        template = _compile(strict, source)
    except TemplateError as exc:
        raise TemplateRenderError(f"{what} does not parse: {exc}") from exc

    def render(prefix: tuple[Message, ...], generation_prompt: bool) -> str:
        variables = {
            "messages": [m.model_dump() for m in prefix],
            "add_generation_prompt": generation_prompt,
            "bos_token": "",
            "eos_token": "",
        }
        try:
            return _render_limited(template, variables)
        except MemoryError:
            raise  # the sandbox's limit, reported by domain.sandbox, not the template's error
        except Exception as exc:  # a template can raise anything (TypeError, RecursionError, ...): all are its fault
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
        answer, after = _split_trailing_space(through[len(context) :])
        if not answer and message.content.strip():
            raise TemplateRenderError(f"{what} writes nothing for an assistant turn: it must write every message")
        segments += [Segment(context[len(done) :], False), Segment(answer, True), Segment(after, False)]
        done = through
    return segments


def _tidy(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Drop empty segments and whatever follows the last answer; merge neighbours of the same kind."""
    kept: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if kept and kept[-1].trained == segment.trained:
            kept[-1] = Segment(kept[-1].text + segment.text, segment.trained)
        else:
            kept.append(segment)
    while kept and not kept[-1].trained:
        kept.pop()
    return tuple(kept)


_BUILT_IN: dict[str, Callable[[AnyRecord], list[Segment]]] = {
    "alpaca": _alpaca,
    "chatml": _chatml,
    "phi3": _phi3,
    "plain": _plain,
}


def render(template: TemplateName, record: AnyRecord, context: TemplateContext = TemplateContext()) -> RenderedExample:
    if template == "model":
        if not context.chat_template:
            raise TemplateRenderError("this base model has no chat template of its own; pick ChatML or Alpaca")
        segments = _jinja_turns(False, context.chat_template, as_messages(record), "the model's chat template")
    elif template == "custom":
        if not context.custom_template or not context.custom_template.strip():
            raise TemplateRenderError("the custom template is empty")
        segments = _jinja_turns(True, context.custom_template, as_messages(record), "the custom template")
    elif template in _BUILT_IN:
        segments = _BUILT_IN[template](record)
    else:
        raise TemplateRenderError(f"unknown template {template!r}")
    kept = _tidy(segments)
    if not kept:
        raise TemplateRenderError("the example has no answer to train on (no assistant turn, or only empty ones)")
    return RenderedExample(kept)


def template_field(template: TemplateName) -> str:
    """The request field a template's error is about."""
    return "custom_template" if template == "custom" else "template"


class DatasetRenderError(ValueError):
    """Rows a template cannot render, each "row N: why" (the first MAX_RENDER_ERRORS), or a template too slow."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0])
        self.errors = errors


MAX_RENDER_ERRORS = 20


def _render_row(template: TemplateName, context: TemplateContext, row: tuple[int, AnyRecord]) -> RenderedExample | str:
    row_number, record = row
    try:
        return render(template, record, context)
    except TemplateRenderError as exc:
        return f"row {row_number}: {exc}"


def render_records(
    template: TemplateName, records: Sequence[AnyRecord], context: TemplateContext
) -> list[RenderedExample]:
    """A run's examples rendered, a custom template's in one sandboxed process for all of them (render_rows),
    within RENDER_SECONDS per example."""
    seconds = RENDER_SECONDS * max(1, len(records))
    return render_rows(template, enumerate(records, start=1), context, seconds=seconds)


def render_rows(
    template: TemplateName,
    rows: Iterable[tuple[int, AnyRecord]],
    context: TemplateContext,
    *,
    seconds: float,
) -> list[RenderedExample]:
    """Every (row number, record) rendered, within `seconds` in all: a slow custom template must not hold a request
    or a worker thread for ever.

    A custom template is the user's code: it renders in a sandboxed child process (domain.sandbox), all rows in one,
    under a hard limit of RENDER_SECONDS per row, `seconds` in all, and MEMORY_BYTES. Raises SandboxBusy when too
    many are rendering. Built-in and model templates render here."""
    render_row = partial(_render_row, template, context)
    deadline = time.monotonic() + seconds
    if template == "custom":
        rows = list(rows) if not isinstance(rows, list) else rows  # to name the row a limit stops at
        results: Iterable[RenderedExample | str] = map_sandboxed(
            render_row, rows, item_seconds=RENDER_SECONDS, seconds=seconds
        )
    else:
        results = map(render_row, rows)
    rendered: list[RenderedExample] = []
    errors: list[str] = []
    try:
        for result in results:
            if isinstance(result, str):
                errors.append(result)
                if len(errors) >= MAX_RENDER_ERRORS:
                    break
            else:
                rendered.append(result)
            if time.monotonic() > deadline:
                raise DatasetRenderError([f"the template takes too long: over {seconds:g} s to render the dataset"])
    except SandboxLimit as exc:
        where = "" if exc.index is None else f"row {rows[exc.index][0]}: "  # type: ignore[index]  # a list here
        if exc.reason == "memory":
            problem = f"the custom template needs more than {MEMORY_BYTES // (1024 * 1024)} MB of memory"
        elif exc.index is None:
            problem = f"the custom template ran longer than {seconds:g} s in all"
        else:
            problem = f"the custom template ran longer than {RENDER_SECONDS:g} s on one example"
        raise DatasetRenderError([f"{where}{problem}: make it simpler (fewer loops, shorter text)"]) from exc
    if errors:
        raise DatasetRenderError(errors)
    return rendered
