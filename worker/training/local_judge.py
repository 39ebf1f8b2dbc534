"""A base model of the studio's as an LLM judge: each prompt sent as one user turn through the model's chat template,
answered greedily (a judge should give the same grade to the same answer). Slower and usually weaker than a large
hosted judge, but nothing leaves the machine. worker.judge reads the replies as it reads an endpoint's."""

from collections.abc import Callable
from dataclasses import dataclass

from transformers import AutoTokenizer

from domain.decoding import Decoding
from worker.training.generate import answer_prompts

# A JSON score with a two-sentence explanation is under 100 tokens; the rest is room for a judge that reasons first.
MAX_NEW_TOKENS = 256


@dataclass(frozen=True)
class ChatAnswer:
    text: str
    prompt_tokens: int  # the prompt in the chat template, as the model's tokenizer counts it
    completion_tokens: int  # the reply's text re-tokenised


def chat_answers(
    model_dir: str,
    prompts: list[str],
    answered: Callable[[int, int], None] | None = None,
    *,
    max_new_tokens: int = MAX_NEW_TOKENS,
    batch_size: int = 8,
) -> list[ChatAnswer]:
    """The model's reply to each prompt, in order. `answered(index, done)` is called as each prompt's batch is done;
    an exception it raises (a cancel) stops the generation. ValueError when the model has no chat template: a judge
    has to be a chat (instruction-tuned) model."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if not tokenizer.chat_template:
        raise ValueError(f"{model_dir} has no chat template: a judge must be a chat (instruction-tuned) model")
    rendered = [
        str(tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True))
        for p in prompts
    ]
    # answer_prompts answers its prompts fewest tokens first (a stable sort), batch by batch: given them in that order,
    # the prompts its progress count covers are known, and each is reported as answered.
    lengths = [len(ids) for ids in tokenizer(rendered, add_special_tokens=True)["input_ids"]]
    order = sorted(range(len(rendered)), key=lambda index: lengths[index])
    reported = 0

    def progress(done: int) -> bool:
        nonlocal reported
        for position in range(reported, done):
            if answered is not None:
                answered(order[position], position + 1)
        reported = done
        return True  # a cancel raises from `answered` instead

    texts = answer_prompts(
        model_dir,
        None,
        [rendered[i] for i in order],
        Decoding(),
        max_new_tokens,
        max_batch_size=batch_size,
        progress=progress,
    )
    assert texts is not None  # only a progress that returns False stops it
    answers: list[ChatAnswer | None] = [None] * len(prompts)
    for position, index in enumerate(order):
        answers[index] = ChatAnswer(
            texts[position],
            prompt_tokens=len(tokenizer(rendered[index], add_special_tokens=False).input_ids),
            completion_tokens=len(tokenizer(texts[position], add_special_tokens=False).input_ids),
        )
    return [answer for answer in answers if answer is not None]
