"""The training and validation rows as the trainer takes them: the very tokens and loss mask the preview shows."""

from collections.abc import Sequence
from pathlib import Path

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from domain.config import TrainingConfig
from domain.records import AnyRecord
from domain.templates import TemplateContext, render_records
from domain.tokenize import LoadedTokenizer, load_tokenizer, tokenize_many


def load_training_tokenizer(base_model: str, loaded: PreTrainedTokenizerBase) -> LoadedTokenizer:
    """The tokenizer the API's preview uses (tokenizer.json read by domain.tokenize) when the model is a
    directory; for a hub id, the same Rust tokenizer transformers built from it."""
    if (Path(base_model) / "tokenizer.json").is_file():
        return load_tokenizer(base_model)
    backend = getattr(loaded, "backend_tokenizer", None)
    if backend is None or loaded.eos_token is None:
        raise ValueError(f"{base_model}: a fast tokenizer with an eos token is needed")
    return LoadedTokenizer(backend, str(loaded.eos_token))


def tokenized_dataset(
    config: TrainingConfig, examples: Sequence[AnyRecord], context: TemplateContext, tokenizer: LoadedTokenizer
) -> tuple[Dataset, int, int]:
    """`input_ids` + `completion_mask` rows, truncated to max_seq_length, built by domain.tokenize: the very
    tokens and mask the preview shows. TRL sees `input_ids` and skips its own tokenisation; it turns the mask into
    labels (-100 where 0) and pads labels with -100. Returns the dataset, how many examples were truncated, and how
    many were skipped because nothing of their answer fits in max_seq_length."""
    rendered = render_records(config.template, examples, context)
    tokenized = tokenize_many(
        tokenizer.tokenizer,
        rendered,
        eos_token=tokenizer.eos_token,
        max_length=config.max_seq_length,
        completion_only_loss=config.completion_only_loss,
    )
    rows = [{"input_ids": t.input_ids, "completion_mask": t.completion_mask} for t in tokenized if t.has_target]
    truncated = sum(1 for t in tokenized if t.truncated and t.has_target)
    return Dataset.from_list(rows), truncated, len(tokenized) - len(rows)
