"""The memory estimate: its arithmetic against PEFT and transformers, and its total against a measured peak."""

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from domain.config import TrainingConfig
from domain.estimate import (
    CPU_PROCESS_BYTES,
    CUDA_CONTEXT_BYTES,
    HEADROOM_SHARE,
    HardwareChoice,
    architecture,
    choose_hardware,
    estimate_memory,
    estimate_seconds,
    format_bytes,
    lora_parameters,
    peak_seq_len,
    scored_share,
    training_tokens,
)
from domain.hardware import Device
from domain.records import AlpacaRecord
from domain.templates import render
from domain.tokenize import answer_token_lengths, load_tokenizer, token_lengths

LLAMA = {
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 1000,
    "tie_word_embeddings": False,
}
# Tiny configs of each family the estimate knows, as transformers builds them.
FAMILIES: dict[str, dict[str, Any]] = {
    "llama": LLAMA,
    "qwen2": {**LLAMA, "model_type": "qwen2", "tie_word_embeddings": True},
    "qwen3": {**LLAMA, "model_type": "qwen3", "head_dim": 32},
    "phi3": {**LLAMA, "model_type": "phi3", "pad_token_id": 0},
    "gpt2": {"model_type": "gpt2", "n_embd": 64, "n_layer": 3, "n_head": 4, "vocab_size": 1000, "n_positions": 128},
    "gpt_neox": {
        "model_type": "gpt_neox",
        "hidden_size": 64,
        "intermediate_size": 256,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "vocab_size": 1000,
    },
}


def _config(**values: Any) -> TrainingConfig:
    return TrainingConfig.model_validate(values)


def _model(model_config: dict[str, Any]) -> Any:
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(**model_config)
    return AutoModelForCausalLM.from_config(config)


def _peft_trainable(model_config: dict[str, Any], config: TrainingConfig) -> int:
    from peft import LoraConfig, get_peft_model

    targets: str | list[str] = config.lora_target_modules
    if targets != "all-linear":
        targets = [name.strip() for name in config.lora_target_modules.split(",")]
    elif config.layers_to_transform is not None:  # PEFT needs the names then, as the worker gives them
        targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    lora = LoraConfig(
        r=config.lora_r, target_modules=targets, layers_to_transform=config.layers_to_transform, task_type="CAUSAL_LM"
    )
    trainable, _ = get_peft_model(_model(model_config), lora).get_nb_trainable_parameters()
    return int(trainable)


class TestArchitecture:
    @pytest.mark.parametrize("family", sorted(FAMILIES))
    def test_parameter_count_matches_transformers(self, family: str) -> None:
        model_config = FAMILIES[family]
        assert architecture(model_config).total_parameters == _model(model_config).num_parameters()

    @pytest.mark.parametrize("family", sorted(FAMILIES))
    def test_all_linear_lora_count_matches_peft(self, family: str) -> None:
        config = _config(lora_r=8)
        assert lora_parameters(architecture(FAMILIES[family]), config) == _peft_trainable(FAMILIES[family], config)

    @pytest.mark.parametrize(
        ("targets", "layers"), [("q_proj,v_proj", None), ("down_proj", None), ("all-linear", [0, 2])]
    )
    def test_chosen_modules_and_layers_match_peft(self, targets: str, layers: list[int] | None) -> None:
        config = _config(lora_r=4, lora_target_modules=targets, layers_to_transform=layers)
        assert lora_parameters(architecture(LLAMA), config) == _peft_trainable(LLAMA, config)

    def test_bundled_model_config(self) -> None:
        # r x (in + out) per adapted layer, shown once by hand: SmolLM2-135M with r=16 on all 7 projections.
        smollm2 = {
            "model_type": "llama",
            "hidden_size": 576,
            "intermediate_size": 1536,
            "num_hidden_layers": 30,
            "num_attention_heads": 9,
            "num_key_value_heads": 3,
            "head_dim": 64,
            "vocab_size": 49152,
            "tie_word_embeddings": True,
        }
        per_layer = 16 * ((576 + 576) * 2 + (576 + 192) * 2 + (576 + 1536) * 2 + (1536 + 576))
        assert lora_parameters(architecture(smollm2), _config()) == 30 * per_layer == 4_884_480
        assert architecture(smollm2).total_parameters == 134_515_008


class TestBreakdown:
    def test_lora_on_cpu(self) -> None:
        config = _config(lora_r=8)
        estimate = estimate_memory(LLAMA, config, device="cpu", seq_len=128, bf16_supported=False)
        trainable = lora_parameters(architecture(LLAMA), config)
        parts = estimate.breakdown
        assert estimate.method == "lora"
        assert parts.weights == 4 * architecture(LLAMA).total_parameters  # fp32 on a CPU without native bf16
        bf16 = estimate_memory(
            LLAMA, config.model_copy(update={"precision": "bf16"}), device="cpu", seq_len=128, bf16_supported=True
        )
        assert bf16.breakdown.weights == 2 * architecture(LLAMA).total_parameters
        assert bf16.breakdown.activations < parts.activations
        assert parts.lora == parts.gradients == 4 * trainable
        assert parts.optimizer == 8 * trainable  # AdamW: two fp32 moments
        assert parts.overhead > CPU_PROCESS_BYTES
        assert estimate.total_bytes == sum(vars(parts).values())

    @pytest.mark.parametrize(
        ("optim", "per_parameter"),
        [("adafactor", 4), ("sgd", 4), ("lion_32bit", 4), ("adamw_bnb_8bit", 2), ("paged_adamw_8bit", 2)],
    )
    def test_optimizer_state_per_trainable_parameter(self, optim: str, per_parameter: int) -> None:
        estimate = estimate_memory(LLAMA, _config(optim=optim), device="cpu", seq_len=64)
        assert estimate.breakdown.optimizer == per_parameter * estimate.trainable_parameters

    def test_qlora_quantises_linear_layers_only(self) -> None:
        arch = architecture(LLAMA)
        plain = estimate_memory(LLAMA, _config(method="lora"), device="cuda", seq_len=64)
        nf4 = estimate_memory(
            LLAMA, _config(method="qlora", bnb_4bit_use_double_quant=False), device="cuda", seq_len=64
        )
        double = estimate_memory(LLAMA, _config(method="qlora"), device="cuda", seq_len=64)
        others = arch.total_parameters - arch.linear_parameters
        assert plain.breakdown.weights == 2 * arch.total_parameters  # bf16 on CUDA
        # 4 bits per weight plus a float32 absmax per block of 64; embeddings and LM head stay 16-bit.
        assert nf4.breakdown.weights == pytest.approx(arch.linear_parameters * (0.5 + 4 / 64) + 2 * others, abs=1)
        assert double.breakdown.weights < nf4.breakdown.weights
        assert estimate_memory(LLAMA, _config(), device="cuda", seq_len=64).method == "qlora"

    def test_full_fine_tuning_trains_every_parameter(self) -> None:
        estimate = estimate_memory(LLAMA, _config(method="full"), device="cpu", seq_len=64)
        parameters = architecture(LLAMA).total_parameters
        assert estimate.trainable_parameters == parameters
        assert estimate.breakdown.lora == 0
        # The ~16 bytes per parameter of full fine-tuning with AdamW: weights, gradients, two moments.
        parts = estimate.breakdown
        assert parts.weights + parts.gradients + parts.optimizer == 16 * parameters

    def test_activations_scale_with_tokens_and_shrink_with_checkpointing(self) -> None:
        def activations(**values: Any) -> int:
            config = _config(per_device_eval_batch_size=1, **values)
            return estimate_memory(LLAMA, config, device="cpu", seq_len=128).breakdown.activations

        assert activations(per_device_train_batch_size=8) == 2 * activations(per_device_train_batch_size=4)
        checkpointed = activations(per_device_train_batch_size=8, gradient_checkpointing=True)
        assert checkpointed < activations(per_device_train_batch_size=8) / 2

    def test_label_smoothing_builds_the_full_logits(self) -> None:
        # TRL's fused LM head scores tiles of at most 4096 tokens x 32768 vocabulary entries; label smoothing needs
        # the whole (batch x seq x vocab) logits, held in float32 four times (logits, log-softmax, two gradients).
        smoothed = estimate_memory(
            LLAMA, _config(label_smoothing_factor=0.1), device="cpu", seq_len=128, validation_examples=0
        )
        assert smoothed.breakdown.logits == 4 * (8 * 128 * 1000) * 4

    def test_the_lm_head_scores_only_the_tokens_the_loss_counts(self) -> None:
        def logits(share: float, **values: Any) -> int:
            config = _config(per_device_eval_batch_size=1, **values)
            return estimate_memory(LLAMA, config, device="cpu", seq_len=128, scored_share=share).breakdown.logits

        # A tile of (scored tokens x vocabulary) float32 values, held ~8 times on CPU.
        assert logits(1.0) == math.ceil(8.25 * (8 * 128) * 1000 * 4)
        assert logits(0.25) == math.ceil(8.25 * (8 * 32) * 1000 * 4)
        # Label smoothing builds the logits of every token whatever the loss counts.
        assert logits(0.25, label_smoothing_factor=0.1) == logits(1.0, label_smoothing_factor=0.1)


class TestScoredShare:
    LENGTHS = [40, 60, 100, 400]
    ANSWERS = [5, 10, 20, 100]

    def test_a_batch_holds_at_most_the_longest_answers(self) -> None:
        # Padding-free batch of 2: the two longest examples (400, cut to 256, and 100) hold at most the two longest
        # answers (100 and 20).
        config = _config(per_device_train_batch_size=2, max_seq_length=256)
        assert scored_share(self.LENGTHS, self.ANSWERS, config) == pytest.approx(120 / (256 + 100), abs=1e-2)
        # Padded: both rows as long as the longest.
        padded = config.model_copy(update={"padding_free": False})
        assert scored_share(self.LENGTHS, self.ANSWERS, padded) == pytest.approx(120 / (2 * 256))

    def test_packed_rows_hold_the_answers_share_of_all_tokens(self) -> None:
        config = _config(packing=True, max_seq_length=256)
        assert scored_share(self.LENGTHS, self.ANSWERS, config) == pytest.approx(135 / (40 + 60 + 100 + 256))

    def test_every_token_when_the_whole_text_is_trained_or_answers_are_not_counted(self) -> None:
        assert scored_share(self.LENGTHS, self.ANSWERS, _config(completion_only_loss=False)) == 1.0
        assert scored_share(self.LENGTHS, None, _config()) == 1.0
        assert scored_share(None, None, _config()) == 1.0
        assert scored_share([10], [30], _config()) == 1.0  # never above every token


class TestTime:
    def test_tokens_over_epochs_and_seconds(self) -> None:
        lengths = [100, 200, 300, 1000]  # the last is cut to max_seq_length
        config = _config(num_train_epochs=2, max_seq_length=300)
        assert training_tokens(lengths, 10, config) == 2 * 10 * 225
        assert training_tokens(lengths, 10, _config(max_steps=3, max_seq_length=300)) == 3 * 8 * 225
        assert estimate_seconds(4500, 150.0) == 30.0
        assert estimate_seconds(4500, 0.0) is None


# 24 rows of 60-110 tokens once rendered with the Alpaca template.
ROWS = [
    {"instruction": f"Describe item {i} in detail.", "output": " ".join(f"part{j}" for j in range(15 + i))}
    for i in range(24)
]

# Trains in a fresh process, as a worker does: the peak is the whole process's, and this test session's own memory
# (other models, other tests) must not count.
MEASURE = """
import json, sys
from pathlib import Path
from tests.worker.conftest import RecordingSink
from domain.config import TrainingConfig
from worker.training.memory import PeakMemory
from worker.training.sft import train
from domain.records import AlpacaRecord
from worker.training.types import RunPaths, SplitData

model_dir, output, overrides, rows = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
examples = [AlpacaRecord(**row) for row in rows]
data = SplitData(train=examples[:20], validation=examples[20:], test=[])
with PeakMemory() as peak:
    config = TrainingConfig.model_validate(overrides)
    train(config, data, RunPaths(base_model_location=model_dir, output_dir=Path(output)), RecordingSink())
print(json.dumps({"peak": peak.bytes}))
"""


def test_estimate_within_25_percent_of_measured_peak(tiny_model: Path, tmp_path: Path) -> None:
    overrides = {"max_steps": 2, "per_device_train_batch_size": 8, "eval_steps": 100}
    command = [sys.executable, "-c", MEASURE, str(tiny_model), str(tmp_path), json.dumps(overrides)]
    done = subprocess.run(
        [*command, json.dumps(ROWS)], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])["peak"]

    # The sequence length the API uses, from the lengths as the trainer tokenises them.
    tokenizer, eos = load_tokenizer(tiny_model)
    rendered = [render("alpaca", AlpacaRecord(**row)) for row in ROWS]
    model_config = json.loads((tiny_model / "config.json").read_text())
    config = TrainingConfig.model_validate(overrides)
    lengths = token_lengths(tokenizer, rendered, eos_token=eos)
    share = scored_share(lengths, answer_token_lengths(tokenizer, rendered, eos_token=eos), config)
    assert 0 < share < 1
    seq_len = peak_seq_len(lengths, config)
    estimate = estimate_memory(
        model_config, config, device="cpu", seq_len=seq_len, validation_examples=4, scored_share=share
    )

    error = (estimate.total_bytes - measured) / measured
    assert abs(error) <= 0.25, f"estimate {estimate.total_bytes / 1e9:.2f} GB, measured {measured / 1e9:.2f} GB"


# The bundled SmolLM2-135M's config: big enough for the choice to depend on a small GPU's memory.
SMOLLM2 = {
    "model_type": "llama",
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "vocab_size": 49152,
    "tie_word_embeddings": True,
}


class TestMethodAuto:
    """Method auto by memory on a GPU: the figures are the estimate's, so the thresholds come from it too."""

    def _choose(self, memory: int, device: Device = "cuda", **values: Any) -> HardwareChoice:
        return choose_hardware(SMOLLM2, _config(**values), device=device, memory_bytes=memory, seq_len=256)

    def test_the_cuda_peak_leaves_out_the_context_which_only_the_verdict_adds(self) -> None:
        on_gpu = estimate_memory(SMOLLM2, _config(method="qlora"), device="cuda", seq_len=256)
        assert on_gpu.breakdown.overhead < on_gpu.breakdown.activations  # allocator slack only
        assert on_gpu.device_bytes == on_gpu.total_bytes + CUDA_CONTEXT_BYTES
        on_cpu = estimate_memory(SMOLLM2, _config(), device="cpu", seq_len=256)
        assert on_cpu.device_bytes == on_cpu.total_bytes  # resident memory already holds the process

    def test_lora_on_bf16_weights_when_it_fits_with_headroom(self) -> None:
        lora = estimate_memory(SMOLLM2, _config(method="lora"), device="cuda", seq_len=256)
        memory = math.ceil(lora.device_bytes / HEADROOM_SHARE)
        choice = self._choose(memory)
        assert (choice.hardware.method, choice.hardware.precision) == ("lora", "bf16")
        assert choice.estimate == lora
        assert choice.reason == (
            f"method auto: LoRA on bf16 weights: it needs {format_bytes(lora.device_bytes)} (peak "
            f"{format_bytes(lora.total_bytes)} + 0.5 GB CUDA context), within 80% of the GPU's {format_bytes(memory)}"
        )

    def test_qlora_when_only_4_bit_fits(self) -> None:
        lora = estimate_memory(SMOLLM2, _config(method="lora"), device="cuda", seq_len=256)
        qlora = estimate_memory(SMOLLM2, _config(method="qlora"), device="cuda", seq_len=256)
        assert qlora.device_bytes < lora.device_bytes
        memory = math.ceil(lora.device_bytes / HEADROOM_SHARE) - 1  # LoRA would leave less than 20% to spare
        choice = self._choose(memory)
        assert choice.hardware.method == "qlora" and choice.estimate == qlora
        assert choice.reason is not None
        assert choice.reason.startswith(
            f"method auto: QLoRA (4-bit weights): LoRA on bf16 weights would need {format_bytes(lora.device_bytes)}"
        )
        assert f"QLoRA needs {format_bytes(qlora.device_bytes)}" in choice.reason

    def test_qlora_when_nothing_fits_and_it_says_so(self) -> None:
        qlora = estimate_memory(SMOLLM2, _config(method="qlora"), device="cuda", seq_len=256)
        choice = self._choose(qlora.device_bytes - 1)
        assert choice.hardware.method == "qlora"
        assert choice.reason is not None and choice.reason.endswith("it may run out of memory")

    def test_lora_on_cpu_whatever_the_memory_and_the_asked_method_as_asked(self) -> None:
        cpu = self._choose(10**6, device="cpu")
        assert cpu.hardware.method == "lora" and cpu.reason is not None and "CPU" in cpu.reason
        asked = self._choose(10**15, method="qlora")
        assert (asked.hardware.method, asked.reason) == ("qlora", None)
