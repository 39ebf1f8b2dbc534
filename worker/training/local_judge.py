"""A base model of the studio's as the judge: each prompt sent as one user turn through the model's chat template,
answered greedily (a judge should give the same grade to the same answer). Slower and usually weaker than a large
hosted judge, but nothing leaves the machine."""

from transformers import AutoTokenizer

from domain.decoding import Decoding
from worker.judge import Answered, Ask, Reply
from worker.training.generate import answer_prompts

# A JSON score with a two-sentence explanation is under 100 tokens; the rest is room for a judge that reasons first.
MAX_NEW_TOKENS = 256


def model_judge(model_dir: str, *, max_new_tokens: int = MAX_NEW_TOKENS, batch_size: int = 8) -> Ask:
    """An Ask answered by the model in `model_dir` (loaded when asked, released after). ValueError when the model
    has no chat template: a judge has to be a chat (instruction-tuned) model."""

    def ask(prompts: list[str], answered: Answered) -> list[Reply]:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        if not tokenizer.chat_template:
            raise ValueError(f"{model_dir} has no chat template: a judge must be a chat (instruction-tuned) model")
        rendered = [
            str(
                tokenizer.apply_chat_template(
                    [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
                )
            )
            for prompt in prompts
        ]
        # answer_prompts answers its prompts shortest first, batch by batch: given them in that order, the prompts
        # its progress count covers are known, and each is reported as answered.
        order = sorted(range(len(rendered)), key=lambda index: len(rendered[index]))
        reported = 0

        def progress(done: int) -> bool:
            nonlocal reported
            for position in range(reported, done):
                answered(order[position], position + 1)
            reported = done
            return True  # a cancel raises from `answered` instead

        texts = answer_prompts(
            model_dir,
            None,
            [rendered[i] for i in order],
            Decoding(),
            max_new_tokens,
            batch_size=batch_size,
            progress=progress,
        )
        assert texts is not None  # only a progress that returns False stops it
        replies = [Reply(None)] * len(prompts)
        for position, index in enumerate(order):
            replies[index] = Reply(
                texts[position],
                prompt_tokens=len(tokenizer(rendered[index], add_special_tokens=False).input_ids),
                completion_tokens=len(tokenizer(texts[position], add_special_tokens=False).input_ids),
            )
        return replies

    return ask
