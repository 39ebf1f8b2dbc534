"""Every template on every record shape: exact text, which parts are answers, and safe failures."""

import time

import pytest

from domain.records import AlpacaRecord, AnyRecord, ChatRecord, Message, PromptCompletionRecord, final_answer
from domain.templates import (
    TEMPLATE_DESCRIPTIONS,
    DatasetRenderError,
    Segment,
    TemplateContext,
    TemplateName,
    TemplateRenderError,
    render,
    render_records,
)

ALPACA = AlpacaRecord(instruction="Give the opposite.", output="cold")
ALPACA_INPUT = AlpacaRecord(instruction="Give the opposite.", input="hot", output="cold")
PROMPT_COMPLETION = PromptCompletionRecord(prompt="Q: capital of France?\nA:", completion=" Paris")
CHAT = ChatRecord(
    messages=(
        Message(role="system", content="Be brief."),
        Message(role="user", content="Hi"),
        Message(role="assistant", content="Hello!"),
        Message(role="user", content="Bye"),
        Message(role="assistant", content="Goodbye."),
    )
)
RECORDS: dict[str, AnyRecord] = {
    "alpaca": ALPACA,
    "alpaca_input": ALPACA_INPUT,
    "prompt_completion": PROMPT_COMPLETION,
    "chat": CHAT,
}

# SmolLM2's own chat template (abridged from its tokenizer_config.json): a default system turn, then ChatML.
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# A Hugging Face style template using what models' templates use: optional variables, generation markers.
HF_STYLE_TEMPLATE = (
    "{{ bos_token }}{% if tools %}TOOLS{% endif %}{% for m in messages %}"
    "{% if m.role == 'assistant' %}[A] {% generation %}{{ m.content | trim }}{% endgeneration %}{{ eos_token }}\n"
    "{% else %}[{{ m.role | upper }}] {{ m.content }}\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}[A] {% endif %}"
)
CONTEXT = TemplateContext(chat_template=SMOLLM2_TEMPLATE)

ALPACA_HEAD = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
)
ALPACA_INPUT_HEAD = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
)
SMOL_SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"


def _split(template: TemplateName, record: AnyRecord, context: TemplateContext = CONTEXT) -> list[tuple[str, bool]]:
    return [(s.text, s.trained) for s in render(template, record, context).segments]


EXPECTED: dict[tuple[TemplateName, str], list[tuple[str, bool]]] = {
    ("alpaca", "alpaca"): [
        (f"{ALPACA_HEAD}### Instruction:\nGive the opposite.\n\n### Response:\n", False),
        ("cold", True),
    ],
    ("alpaca", "alpaca_input"): [
        (f"{ALPACA_INPUT_HEAD}### Instruction:\nGive the opposite.\n\n### Input:\nhot\n\n### Response:\n", False),
        ("cold", True),
    ],
    ("alpaca", "prompt_completion"): [
        (f"{ALPACA_HEAD}### Instruction:\nQ: capital of France?\nA:\n\n### Response:\n", False),
        (" Paris", True),
    ],
    ("chatml", "alpaca"): [
        ("<|im_start|>user\nGive the opposite.<|im_end|>\n<|im_start|>assistant\n", False),
        ("cold<|im_end|>", True),
    ],
    ("chatml", "alpaca_input"): [
        ("<|im_start|>user\nGive the opposite.\n\nhot<|im_end|>\n<|im_start|>assistant\n", False),
        ("cold<|im_end|>", True),
    ],
    ("chatml", "prompt_completion"): [
        ("<|im_start|>user\nQ: capital of France?\nA:<|im_end|>\n<|im_start|>assistant\n", False),
        (" Paris<|im_end|>", True),
    ],
    ("chatml", "chat"): [
        ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", False),
        ("Hello!<|im_end|>", True),
        ("\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n", False),
        ("Goodbye.<|im_end|>", True),
    ],
    ("phi3", "alpaca"): [("<|user|>\nGive the opposite.<|end|>\n<|assistant|>\n", False), ("cold<|end|>", True)],
    ("phi3", "alpaca_input"): [
        ("<|user|>\nGive the opposite.\n\nhot<|end|>\n<|assistant|>\n", False),
        ("cold<|end|>", True),
    ],
    ("phi3", "prompt_completion"): [
        ("<|user|>\nQ: capital of France?\nA:<|end|>\n<|assistant|>\n", False),
        (" Paris<|end|>", True),
    ],
    ("phi3", "chat"): [
        ("<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n", False),
        ("Hello!<|end|>", True),
        ("\n<|user|>\nBye<|end|>\n<|assistant|>\n", False),
        ("Goodbye.<|end|>", True),
    ],
    ("plain", "alpaca"): [("Give the opposite.\n", False), ("cold", True)],
    ("plain", "alpaca_input"): [("Give the opposite.\n\nhot\n", False), ("cold", True)],
    ("plain", "prompt_completion"): [("Q: capital of France?\nA:", False), (" Paris", True)],
    ("model", "alpaca"): [
        (f"{SMOL_SYSTEM}<|im_start|>user\nGive the opposite.<|im_end|>\n<|im_start|>assistant\n", False),
        ("cold<|im_end|>", True),
    ],
    ("model", "alpaca_input"): [
        (f"{SMOL_SYSTEM}<|im_start|>user\nGive the opposite.\n\nhot<|im_end|>\n<|im_start|>assistant\n", False),
        ("cold<|im_end|>", True),
    ],
    ("model", "prompt_completion"): [
        (f"{SMOL_SYSTEM}<|im_start|>user\nQ: capital of France?\nA:<|im_end|>\n<|im_start|>assistant\n", False),
        (" Paris<|im_end|>", True),
    ],
    # The same text as ChatML: the chat has its own system turn, so SmolLM2's default one is left out.
    ("model", "chat"): [
        ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", False),
        ("Hello!<|im_end|>", True),
        ("\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n", False),
        ("Goodbye.<|im_end|>", True),
    ],
}


@pytest.mark.parametrize(("template", "shape"), sorted(EXPECTED))
def test_template_on_record_shape(template: TemplateName, shape: str) -> None:
    assert _split(template, RECORDS[shape]) == EXPECTED[(template, shape)]


@pytest.mark.parametrize(("template", "shape"), sorted(EXPECTED))
def test_prompt_is_everything_before_the_last_answer(template: TemplateName, shape: str) -> None:
    rendered = render(template, RECORDS[shape], CONTEXT)
    last = rendered.segments[-1]
    assert last.trained  # the text ends with the last answer: nothing after the stop
    assert rendered.text == rendered.prompt + last.text
    assert final_answer(RECORDS[shape]) in last.text


@pytest.mark.parametrize("template", ["alpaca", "plain"])
def test_single_turn_templates_refuse_chats(template: TemplateName) -> None:
    with pytest.raises(TemplateRenderError, match="single-turn rows"):
        render(template, CHAT)


def test_every_template_is_described() -> None:
    assert set(TEMPLATE_DESCRIPTIONS) == {"alpaca", "phi3", "chatml", "model", "plain", "custom"}


def test_model_template_missing() -> None:
    with pytest.raises(TemplateRenderError, match="no chat template of its own"):
        render("model", ALPACA, TemplateContext())


def test_hugging_face_style_template_renders_like_transformers() -> None:
    """Undefined optional variables are falsy, {% generation %} renders its body, bos/eos render as nothing
    (the tokenizer adds them), and whitespace after an answer is context, not answer."""
    segments = render("model", CHAT, TemplateContext(chat_template=HF_STYLE_TEMPLATE)).segments
    assert segments == (
        Segment("[SYSTEM] Be brief.\n[USER] Hi\n[A] ", False),
        Segment("Hello!", True),
        Segment("\n[USER] Bye\n[A] ", False),
        Segment("Goodbye.", True),
    )


def test_custom_template() -> None:
    source = (
        "{% for m in messages %}{% if m.role == 'user' %}Question: {{ m.content }}\n"
        "{% else %}Answer: {{ m.content }}\n\n{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}Answer: {% endif %}"
    )
    rendered = render("custom", ALPACA_INPUT, TemplateContext(custom_template=source))
    assert rendered.segments == (Segment("Question: Give the opposite.\n\nhot\nAnswer: ", False), Segment("cold", True))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ mesages }}", "the custom template failed: 'mesages' is undefined"),
        ("{% for m in messages %}", "the custom template does not parse"),
        ("{{ raise_exception('no system turns, please') }}", "the custom template failed: no system turns, please"),
        ("{{ messages[0].content / 2 }}", "the custom template failed: unsupported operand"),
        ("{{ messages | length }}", "does not render a conversation as growing prefixes"),
        ("no variables at all", "writes nothing for an assistant turn"),
        ("{% for m in messages %}{% if m.role == 'user' %}{{ m.content }}{% endif %}{% endfor %}", "writes nothing"),
        ("  ", "the custom template is empty"),
    ],
)
def test_custom_template_errors_are_clear(source: str, message: str) -> None:
    with pytest.raises(TemplateRenderError, match=message):
        render("custom", ALPACA, TemplateContext(custom_template=source))


@pytest.mark.parametrize(
    "source",
    [
        "{{ messages.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''.__class__.__base__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ messages[0].__dict__ }}",
        "{% set _ = messages.append({'role': 'user'}) %}",
        "{{ messages.pop() }}",
    ],
)
def test_custom_template_cannot_reach_private_attributes_or_mutate(source: str) -> None:
    with pytest.raises(TemplateRenderError, match=r"the custom template failed: .*(unsafe|undefined|has no attribute)"):
        render("custom", ALPACA, TemplateContext(custom_template=source))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'x' * 100000000 }}", "repetition"),
        ("{{ 10 ** 10000000 }}", "exponents"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}xx{% endfor %}{% endfor %}", "characters"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recursion"),
        ("{{ lipsum(100000) }}", "undefined"),
    ],
)
def test_custom_template_cannot_exhaust_the_api(source: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateRenderError, match=message):
        render("custom", ALPACA, TemplateContext(custom_template=source))
    assert time.monotonic() - started < 1


def test_custom_template_has_a_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("domain.templates.RENDER_SECONDS", 0.2)
    source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(TemplateRenderError, match=r"takes longer than 0\.2 s"):
        render("custom", ALPACA, TemplateContext(custom_template=source))
    assert time.monotonic() - started < 1.5


def test_a_runs_examples_render_in_one_sandbox_as_fast_as_in_process() -> None:
    source = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
    records = [AlpacaRecord(instruction=f"Say {i}.", output=f"{i}") for i in range(5000)]
    started = time.monotonic()
    rendered = render_records("custom", records, TemplateContext(custom_template=source))
    assert time.monotonic() - started < 3  # one process for every row, not one per row
    assert rendered[4999].text == "user: Say 4999.\nassistant: 4999"


def test_a_runaway_template_in_a_run_stops_at_the_limit_per_example() -> None:
    source = "{% for i in range(24000) %}{% for j in range(24000) %}{% endfor %}{% endfor %}"
    with pytest.raises(DatasetRenderError, match=r"^row 1: the custom template ran longer than 2 s on one example"):
        render_records("custom", [ALPACA] * 100, TemplateContext(custom_template=source))
