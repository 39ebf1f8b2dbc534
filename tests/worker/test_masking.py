"""The trainer's collated batch holds exactly the tokens and loss mask domain.tokenize computes (the
preview's), for Alpaca and for a two-turn ChatML chat, with and without completion-only loss, truncation included."""

from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

from domain.config import TrainingConfig
from domain.records import AlpacaRecord, AnyRecord, ChatRecord, Message
from domain.templates import TemplateContext, TemplateName, render
from domain.tokenize import load_tokenizer, tokenize_many
from worker.training.sft_config import build_trainer_configs
from worker.training.sft_data import load_training_tokenizer, tokenized_dataset

ALPACA: list[AnyRecord] = [
    AlpacaRecord(instruction="Say hello.", output="Hello there."),
    # An answer that already ends with the eos text must not get a second one.
    AlpacaRecord(instruction="Say goodbye.", input="politely", output="Goodbye, friend.<|im_end|>"),
]
CHATS: list[AnyRecord] = [
    ChatRecord(
        messages=(
            Message(role="system", content="Answer in one word."),
            Message(role="user", content="Opposite of hot?"),
            Message(role="assistant", content="Cold."),
            Message(role="user", content="And of up?"),
            Message(role="assistant", content="Down."),
        )
    ),
    ChatRecord(messages=(Message(role="user", content="Hi"), Message(role="assistant", content="Hello!"))),
]


def _batch(
    model_dir: Path, output_dir: Path, template: TemplateName, examples: list[AnyRecord], **overrides: object
) -> tuple[SFTTrainer, dict]:
    """The collated batch of `examples`: padded, one row each, unless `padding_free` is overridden."""
    config = TrainingConfig(prompt_template=template, **{"padding_free": False, **overrides})  # type: ignore[arg-type]
    kwargs, lora, _ = build_trainer_configs(config, "cpu", output_dir)
    kwargs["eval_strategy"] = "no"
    hf_tokenizer = AutoTokenizer.from_pretrained(model_dir)
    loaded = load_training_tokenizer(str(model_dir), hf_tokenizer)
    dataset, _, skipped = tokenized_dataset(config, examples, TemplateContext(), loaded)
    assert skipped == 0
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(model_dir),
        args=SFTConfig(**kwargs),
        train_dataset=dataset,
        processing_class=hf_tokenizer,
        peft_config=lora,
    )
    # The trainer shuffles only when it samples batches; the prepared dataset keeps the examples' order.
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(len(examples))])  # type: ignore[index]
    return trainer, batch


@pytest.mark.parametrize(
    ("template", "examples", "completion_only_loss", "max_seq_length"),
    [
        ("alpaca", ALPACA, True, 256),
        ("alpaca", ALPACA, False, 256),
        ("alpaca", ALPACA, True, 52),  # keeps 2 of the second answer's 6 tokens (its eos is cut)
        ("chatml", CHATS, True, 256),
    ],
)
def test_collated_batch_is_the_preview(
    tiny_model: Path,
    tmp_path: Path,
    template: TemplateName,
    examples: list[AnyRecord],
    completion_only_loss: bool,
    max_seq_length: int,
) -> None:
    _, batch = _batch(
        tiny_model,
        tmp_path,
        template,
        examples,
        completion_only_loss=completion_only_loss,
        max_seq_length=max_seq_length,
    )
    tokenizer, eos = load_tokenizer(tiny_model)
    expected = tokenize_many(
        tokenizer,
        [render(template, e) for e in examples],
        eos_token=eos,
        max_length=max_seq_length,
        completion_only_loss=completion_only_loss,
    )
    assert any(p.truncated for p in expected) == (max_seq_length < 256)
    for row, preview in enumerate(expected):
        length = int(batch["attention_mask"][row].sum())
        input_ids = batch["input_ids"][row].tolist()
        labels = batch["labels"][row].tolist()
        assert length == preview.num_tokens
        assert input_ids[:length] == [t.id for t in preview.tokens if t.reason != "truncated"]
        assert labels[:length] == [t.id if t.trained else -100 for t in preview.tokens[:length]]
        assert labels[length:] == [-100] * (len(labels) - length)  # padding (pad = eos here) is never a target


@pytest.mark.parametrize(("template", "examples"), [("alpaca", ALPACA), ("chatml", CHATS)])
def test_padding_free_row_is_the_padded_rows_end_to_end(
    tiny_model: Path, tmp_path: Path, template: TemplateName, examples: list[AnyRecord]
) -> None:
    """The default batch: the examples' tokens and labels one after the other, no padding, position ids restarting
    at each example (what keeps attention within it)."""
    _, padded = _batch(tiny_model, tmp_path / "padded", template, examples)
    _, flat = _batch(tiny_model, tmp_path / "flat", template, examples, padding_free=True)
    lengths = padded["attention_mask"].sum(dim=1).tolist()
    assert flat["input_ids"].shape == (1, sum(lengths)) and "attention_mask" not in flat
    ids, labels, positions = [], [], []
    for row, length in enumerate(lengths):
        ids += padded["input_ids"][row, :length].tolist()
        labels += padded["labels"][row, :length].tolist()
        positions += list(range(length))
    assert flat["input_ids"][0].tolist() == ids
    assert flat["labels"][0].tolist() == labels
    assert flat["position_ids"][0].tolist() == positions


def test_alpaca_labels_by_hand(tiny_model: Path, tmp_path: Path) -> None:
    """Independent of tokenize.py: prompt masked, answer and exactly one eos trained."""
    _, batch = _batch(tiny_model, tmp_path, "alpaca", ALPACA)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    for row, example in enumerate(ALPACA):
        rendered = render("alpaca", example)
        prompt_ids = tokenizer(rendered.prompt)["input_ids"]
        assert isinstance(example, AlpacaRecord)
        answer_ids = tokenizer(example.output.removesuffix("<|im_end|>"))["input_ids"]
        labels = batch["labels"][row].tolist()
        length = int(batch["attention_mask"][row].sum())
        assert batch["input_ids"][row].tolist()[:length] == [*prompt_ids, *answer_ids, tokenizer.eos_token_id]
        assert labels[:length] == [-100] * len(prompt_ids) + [*answer_ids, tokenizer.eos_token_id]
        assert [t for t in labels if t != -100].count(tokenizer.eos_token_id) == 1


def test_chat_every_assistant_turn_trained(tiny_model: Path, tmp_path: Path) -> None:
    _, batch = _batch(tiny_model, tmp_path, "chatml", CHATS)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    trained = [t for t in batch["labels"][0].tolist() if t != -100]
    assert tokenizer.decode(trained) == "Cold.<|im_end|>Down.<|im_end|>"


def test_examples_whose_prompt_fills_max_seq_length_are_skipped(tiny_model: Path) -> None:
    config = TrainingConfig(max_seq_length=20)
    loaded = load_tokenizer(tiny_model)
    assert tokenized_dataset(config, ALPACA, TemplateContext(), loaded)[1:] == (0, 2)
    config = TrainingConfig(max_seq_length=36)  # cuts the first example's eos, leaves nothing of the second
    dataset, truncated, skipped = tokenized_dataset(config, ALPACA, TemplateContext(), loaded)
    assert (len(dataset), truncated, skipped) == (1, 1, 1)
