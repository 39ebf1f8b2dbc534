"""Completion-only loss on a known example, through TRL's own dataset preparation and collator."""

from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

from worker.training.config import TrainingConfig
from worker.training.sft import build_trainer_configs, to_prompt_completion
from worker.training.templates import Example, TemplateContext, final_answer, render

EXAMPLES = [
    Example(instruction="Say hello.", output="Hello there."),
    # A completion that already ends with the eos text must not get a second one.
    Example(instruction="Say goodbye.", input="politely", output="Goodbye, friend.<|im_end|>"),
]


def _trainer(model_dir: Path, output_dir: Path, completion_only_loss: bool) -> SFTTrainer:
    config = TrainingConfig(completion_only_loss=completion_only_loss)
    kwargs, lora, _ = build_trainer_configs(config, "cpu", output_dir)
    kwargs["eval_strategy"] = "no"
    return SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(model_dir),
        args=SFTConfig(**kwargs),
        train_dataset=to_prompt_completion(config.template, EXAMPLES, TemplateContext()),
        processing_class=AutoTokenizer.from_pretrained(model_dir),
        peft_config=lora,
    )


def test_prompt_masked_completion_and_one_eos_trained(tiny_model_dir: Path, tmp_path: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    trainer = _trainer(tiny_model_dir, tmp_path, completion_only_loss=True)
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(len(EXAMPLES))])
    for row, example in enumerate(EXAMPLES):
        rendered = render("alpaca", example)
        prompt_ids = tokenizer(rendered.prompt)["input_ids"]
        completion = final_answer(example).removesuffix(tokenizer.eos_token)
        completion_ids = tokenizer(completion)["input_ids"]
        input_ids = batch["input_ids"][row].tolist()
        labels = batch["labels"][row].tolist()
        length = int(batch["attention_mask"][row].sum())
        assert input_ids[:length] == [*prompt_ids, *completion_ids, tokenizer.eos_token_id]
        assert labels[: len(prompt_ids)] == [-100] * len(prompt_ids)
        assert labels[len(prompt_ids) : length] == [*completion_ids, tokenizer.eos_token_id]
        assert labels[length:] == [-100] * (len(labels) - length)  # padding (pad = eos here) is never a target
        assert [t for t in labels if t != -100].count(tokenizer.eos_token_id) == 1


def test_full_sequence_loss_when_completion_only_is_off(tiny_model_dir: Path, tmp_path: Path) -> None:
    trainer = _trainer(tiny_model_dir, tmp_path, completion_only_loss=False)
    row = trainer.train_dataset[0]
    assert row["labels"] == row["input_ids"]
