"""Methods and options that change how the model is trained, each in a short run of the tiny model."""

from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from trl import SFTConfig, SFTTrainer
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from domain.config import TrainingConfig
from domain.records import AlpacaRecord
from domain.templates import TemplateContext
from tests.tiny_model import build_tiny_llama
from tests.worker.conftest import RecordingSink
from worker.training import packed_attention
from worker.training.packed_attention import PER_EXAMPLE_SDPA, example_bounds
from worker.training.sft import train
from worker.training.sft_config import build_trainer_configs
from worker.training.sft_data import load_training_tokenizer, tokenized_dataset
from worker.training.types import UNQUANTISED_EVAL_LOSS, RunPaths, SplitData

ROWS = [
    AlpacaRecord(
        instruction=f"Repeat the word {'twice' if i % 2 else 'three times'}: w{i}", output=f"w{i} " * (2 + i % 2)
    )
    for i in range(24)
]
DATA = SplitData(train=ROWS[:18], validation=ROWS[18:22], test=[])
QUICK = TrainingConfig(max_steps=2, per_device_train_batch_size=4, eval_steps=100)


def test_lora_over_8bit_weights(tiny_model: Path, tmp_path: Path) -> None:
    config = QUICK.model_copy(update={"method": "lora_8bit", "llm_int8_skip_modules": ["lm_head"]})
    sink = RecordingSink()
    result = train(config, DATA, RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path), sink)
    assert result.quantization == "int8"
    assert any("(LoRA over 8-bit weights)" in event for event in sink.lines)
    assert result.weights_dir is not None and (result.weights_dir / "adapter_model.safetensors").is_file()
    assert result.final_eval_loss is not None
    assert result.unquantised_base_eval_loss is not None  # step 0 is the 8-bit model's: the user's is measured too


def test_qlora_is_compared_with_the_unquantised_base_model(tmp_path: Path) -> None:
    """Step 0 of a QLoRA run is the 4-bit model's loss. The base model as the user has it is measured by the same
    evaluation: it is step 0 of a LoRA run on full-precision weights."""
    tiny_model = build_tiny_llama(tmp_path / "tiny-64", hidden_size=64)
    sink = RecordingSink()
    one_step = QUICK.model_copy(update={"max_steps": 1})
    qlora = train(
        one_step.model_copy(update={"method": "qlora"}), DATA, RunPaths(str(tiny_model), tmp_path / "q"), sink
    )
    lora = train(one_step, DATA, RunPaths(str(tiny_model), tmp_path / "lora"), RecordingSink())
    assert qlora.quantization == "nf4"
    assert lora.unquantised_base_eval_loss is None  # nothing quantised: step 0 is the user's model already
    assert qlora.unquantised_base_eval_loss == pytest.approx(lora.base_eval_loss, rel=1e-5)
    assert qlora.base_eval_loss != pytest.approx(qlora.unquantised_base_eval_loss, abs=1e-3)  # 4-bit weights differ
    assert sink.series(UNQUANTISED_EVAL_LOSS) == [(0, qlora.unquantised_base_eval_loss)]
    assert dict(sink.series("eval_loss"))[0] == qlora.base_eval_loss


def test_layers_to_transform_with_all_linear(tiny_model: Path, tmp_path: Path) -> None:
    config = QUICK.model_copy(update={"layers_to_transform": [1], "max_steps": 1})
    result = train(config, DATA, RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path), RecordingSink())
    assert result.weights_dir is not None
    names = list(load_file(result.weights_dir / "adapter_model.safetensors"))
    assert names and all(".layers.1." in name for name in names)
    # every linear module of the layer (all-linear spelled out), none of the output head
    modules = {name.split(".layers.1.")[1].rsplit(".lora_", 1)[0] for name in names}
    assert modules == {f"self_attn.{p}" for p in ("q_proj", "k_proj", "v_proj", "o_proj")} | {
        f"mlp.{p}" for p in ("gate_proj", "up_proj", "down_proj")
    }


def test_packing_keeps_each_examples_prompt_mask(tiny_model: Path, tmp_path: Path) -> None:
    config = TrainingConfig(packing=True, max_seq_length=96)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    loaded = load_training_tokenizer(str(tiny_model), tokenizer)
    dataset, _, _ = tokenized_dataset(config, ROWS, TemplateContext(), loaded)
    sft_kwargs, _, _ = build_trainer_configs(config.model_copy(update={"eval_strategy": "no"}), "cpu", tmp_path)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    trainer = SFTTrainer(model=model, args=SFTConfig(**sft_kwargs), train_dataset=dataset, processing_class=tokenizer)
    packed = trainer.train_dataset
    assert packed is not None
    assert len(packed) < len(dataset)  # several examples per row
    segments = []
    for row in packed:
        start = 0
        for length in row["seq_lengths"]:
            segments.append((row["input_ids"][start : start + length], row["labels"][start : start + length]))
            start += length
    expected = [
        (ids, [token if trained else -100 for token, trained in zip(ids, mask, strict=True)])
        for ids, mask in zip(dataset["input_ids"], dataset["completion_mask"], strict=True)
    ]
    assert sorted(segments) == sorted(expected)  # every example whole, with its own mask


def test_padding_free_batches_give_the_padded_loss(tiny_model: Path) -> None:
    """Packing and padding_free flatten a batch into one row; on CPU (sdpa, no flash-attention) transformers keeps
    attention within each example from the position ids, so the loss is the padded batch's."""
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    model.config.use_cache = False  # as the Trainer sets it (use_cache=False): a cache disables that detection
    generator = torch.Generator().manual_seed(0)
    examples = [{"input_ids": torch.randint(5, 1000, (n,), generator=generator).tolist()} for n in (7, 12, 4)]
    for example in examples:
        example["labels"] = list(example["input_ids"])
    padded = DataCollatorForLanguageModeling(pad_token_id=0)(examples)
    flat = DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)(examples)
    assert flat["input_ids"].shape == (1, 23)
    with torch.no_grad():
        assert model(**flat).loss.item() == pytest.approx(model(**padded).loss.item(), rel=1e-5)


@pytest.mark.parametrize("attention", ["sdpa", "eager", PER_EXAMPLE_SDPA])
def test_packed_examples_never_attend_to_each_other(tiny_model: Path, attention: str) -> None:
    """A packed row's logits, example by example, are each example's logits alone: the position ids (what TRL's
    padding-free collator sends, with no attention mask) restart at each example, and transformers builds a
    block-diagonal mask from them (the CPU's per-example attention splits the row at them instead). Leaking attention
    would change every example after the first."""
    model = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation=attention)
    model.config.use_cache = False  # as the Trainer sets it: a cache disables packed-sequence detection
    generator = torch.Generator().manual_seed(1)
    examples = [{"input_ids": torch.randint(5, 1000, (n,), generator=generator).tolist()} for n in (9, 3, 14, 6)]
    packed = DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)(examples)
    assert "attention_mask" not in packed and packed["position_ids"][0, 9].item() == 0
    with torch.no_grad():
        packed_logits = model(input_ids=packed["input_ids"], position_ids=packed["position_ids"]).logits[0]
        start = 0
        for example in examples:
            alone = model(input_ids=torch.tensor([example["input_ids"]])).logits[0]
            end = start + len(example["input_ids"])
            torch.testing.assert_close(packed_logits[start:end], alone, rtol=1e-4, atol=1e-4)
            start = end


def test_per_example_attention_keeps_padding_masked(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Padded batches (generation, a padded validation batch) under the per-example attention get SDPA's masks: left
    padding changes nothing in the real tokens' logits, and the gradients of a packed row equal SDPA's."""
    sdpa = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation="sdpa")
    per_example = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation=PER_EXAMPLE_SDPA)
    input_ids = torch.tensor([[0, 0, 0, 11, 12, 13], [21, 22, 23, 24, 25, 26]])
    attention_mask = torch.tensor([[0, 0, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
    with torch.no_grad():
        expected = sdpa(input_ids=input_ids, attention_mask=attention_mask).logits
        got = per_example(input_ids=input_ids, attention_mask=attention_mask).logits
    torch.testing.assert_close(got[0, 3:], expected[0, 3:], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(got[1], expected[1], rtol=1e-4, atol=1e-4)

    examples = [{"input_ids": list(range(5, 5 + n)), "labels": list(range(5, 5 + n))} for n in (6, 10, 3)]
    packed = DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)(examples)
    lengths: list[int] = []

    def recording(module: torch.nn.Module, query: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        lengths.append(query.shape[2])
        return sdpa_attention_forward(module, query, *args, **kwargs)

    monkeypatch.setattr(packed_attention, "sdpa_attention_forward", recording)
    for model in (sdpa, per_example):
        model.config.use_cache = False
        model(**packed).loss.backward()
    assert set(lengths) == {6, 10, 3}  # one attention per example in each layer, never the 19-token row
    for (name, expected_parameter), got_parameter in zip(
        sdpa.named_parameters(), per_example.parameters(), strict=True
    ):
        assert got_parameter.grad is not None and expected_parameter.grad is not None, name
        torch.testing.assert_close(got_parameter.grad, expected_parameter.grad, rtol=1e-4, atol=1e-5, msg=name)


def test_packed_run_trains_and_validates_like_an_unpacked_one(tiny_model: Path, tmp_path: Path) -> None:
    plain_sink, packed_sink = RecordingSink(), RecordingSink()
    config = TrainingConfig(num_train_epochs=1, per_device_train_batch_size=4, eval_steps=100)
    plain = train(config, DATA, RunPaths(str(tiny_model), tmp_path / "plain"), plain_sink)
    packed_config = config.model_copy(update={"packing": True, "max_seq_length": 128})
    packed = train(packed_config, DATA, RunPaths(str(tiny_model), tmp_path / "packed"), packed_sink)
    assert packed.global_step < plain.global_step  # 18 examples: 5 steps unpacked, fewer when packed
    assert packed.base_eval_loss == pytest.approx(plain.base_eval_loss, rel=1e-5)  # validation is not packed
    assert packed.final_eval_loss is not None and packed.final_eval_loss < packed.base_eval_loss  # type: ignore[operator]
    assert any(event.startswith("packing:") for event in packed_sink.lines)


def test_evaluation_every_n_steps_and_each_epoch(tiny_model: Path, tmp_path: Path) -> None:
    config = TrainingConfig(
        num_train_epochs=2,
        per_device_train_batch_size=4,
        eval_steps=4,
        eval_strategy="steps_and_epoch",
        precision="fp16",
    )
    sink = RecordingSink()
    result = train(config, DATA, RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path), sink)
    assert result.global_step == 10  # 18 examples in batches of 4: 5 steps an epoch
    assert [step for step, _ in sink.series("eval_loss")] == [0, 4, 5, 8, 10]
    assert "precision fp16 requested, training in fp32: CPUs have no fast fp16 matmuls" in sink.lines


def _describe(optimizer: torch.optim.Optimizer) -> str:
    if type(optimizer).__module__.startswith("bitsandbytes"):
        paged = " paged" if optimizer.is_paged else ""  # type: ignore[attr-defined]
        return f"bitsandbytes {type(optimizer).__name__} {optimizer.args.optim_bits}-bit{paged}"  # type: ignore[attr-defined]
    return type(optimizer).__name__


@pytest.mark.parametrize(
    ("optim", "expected"),
    [
        ("adamw_torch", "AdamW"),
        ("adamw_torch_fused", "AdamW"),
        ("adafactor", "Adafactor"),
        ("adamw_bnb_8bit", "bitsandbytes AdamW 8-bit"),
        ("paged_adamw_32bit", "bitsandbytes AdamW 32-bit paged"),
        ("paged_adamw_8bit", "bitsandbytes AdamW 8-bit paged"),
        ("lion_32bit", "bitsandbytes Lion 32-bit"),
        ("lion_8bit", "bitsandbytes Lion 8-bit"),
        ("sgd", "SGD"),
    ],
)
def test_every_optimiser_steps_on_cpu(optim: str, expected: str, tiny_model: Path, tmp_path: Path) -> None:
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    sft_kwargs, _, _ = build_trainer_configs(TrainingConfig(optim=optim), "cpu", tmp_path)  # type: ignore[arg-type]
    args = TrainingArguments(**{k: sft_kwargs[k] for k in ("output_dir", "optim", "learning_rate", "use_cpu")})
    optimizer = Trainer(model=model, args=args).create_optimizer()
    assert _describe(getattr(optimizer, "optimizer", optimizer)) == expected
    before = model.model.layers[0].mlp.up_proj.weight.detach().clone()
    input_ids = torch.randint(5, 1000, (2, 8))
    model(input_ids=input_ids, labels=input_ids).loss.backward()
    optimizer.step()
    assert not torch.equal(before, model.model.layers[0].mlp.up_proj.weight)


def test_packed_rows_are_told_from_padded_ones() -> None:
    assert example_bounds(torch.tensor([[0, 1, 2, 0, 1, 0, 1, 2, 3]])) == [0, 3, 5, 9]
    assert example_bounds(torch.tensor([[0, 1, 2, 3]])) == [0, 4]
    # How transformers numbers a left-padded prompt (padding at 1), and a right-padded one: not packed examples.
    assert example_bounds(torch.tensor([[1, 1, 1, 0, 1, 2]])) == []
    assert example_bounds(torch.tensor([[0, 1, 2, 1, 1]])) == []
