"""Prompt templates: the one renderer that both training and generation (and any preview) use.

Pure Python, no torch, so the API can render previews with exactly the trainer's text.
"""

from dataclasses import dataclass

ALPACA_PREAMBLE = (
    "Below is an instruction that describes a task{with_input}. "
    "Write a response that appropriately completes the request."
)


@dataclass(frozen=True)
class Example:
    instruction: str
    output: str
    input: str = ""


@dataclass(frozen=True)
class RenderedExample:
    prompt: str
    completion: str


def render_alpaca(example: Example) -> RenderedExample:
    """Alpaca style; the Input block is omitted when the input is empty."""
    if example.input.strip():
        prompt = (
            ALPACA_PREAMBLE.format(with_input=", paired with an input that provides further context")
            + f"\n\n### Instruction:\n{example.instruction}\n\n### Input:\n{example.input}\n\n### Response:\n"
        )
    else:
        prompt = (
            ALPACA_PREAMBLE.format(with_input="") + f"\n\n### Instruction:\n{example.instruction}\n\n### Response:\n"
        )
    return RenderedExample(prompt=prompt, completion=example.output)


RENDERERS = {"alpaca": render_alpaca}


def render(template: str, example: Example) -> RenderedExample:
    return RENDERERS[template](example)
