"""Peak memory of a fine-tuning run, estimated before it is queued, and its duration from a measured throughput.

Pure Python, no torch: the API imports this to warn before launch. Everything comes from the base model's
config.json, the run's TrainingConfig and the hardware resolution the worker applies (domain.hardware).

Peak = weights + adapters + gradients + optimiser states + activations + LM-head (logits) memory + overhead.
On CPU every figure is resident memory (what worker.training.memory.PeakMemory measures), and the constants below
were calibrated against it with the bundled SmolLM2 and the tiny test Llama (`python -m bench.estimate_vs_measured`
prints the comparison). On CUDA the peak is the caching allocator's (what torch.cuda.max_memory_allocated measures);
the CUDA context lies outside it and is added only where the run is compared with a GPU's memory (device_bytes).

With method auto the figures also pick the method on a GPU: choose_hardware, for the worker and the API alike.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from domain.config import InvalidConfig, TrainingConfig
from domain.hardware import Device, Hardware, ResolvedMethod, resolve_hardware

GB = 1e9

# Resident memory of a process that imported torch, transformers, TRL, PEFT and datasets (measured: 0.52 GB) plus
# the tokenizer, the tokenised dataset and the model's Python objects (~0.13 GB), before any weight is touched.
CPU_PROCESS_BYTES = 650_000_000
# A CUDA context with cuBLAS workspaces. Not part of torch.cuda.max_memory_allocated, but it takes device memory:
# left out of the peak (on an H200 the peak with it read +50% for the bundled 135M model, +16% for a 1.1B one), added
# for the fits/does-not-fit verdict.
CUDA_CONTEXT_BYTES = 500_000_000
# Above this share of a device's memory a run may not fit: measured peaks have been within ~25% of the estimate.
HEADROOM_SHARE = 0.8
# glibc keeps freed heap memory: the forward pass's per-layer temporaries leave holes that stay resident. Measured on
# CPU at 0.4-0.95 (0.55 typical) of the activations a forward without checkpointing creates, with or without
# checkpointing (it recomputes each layer, creating them again). The PyTorch CUDA caching allocator: ~10%.
CPU_ALLOCATOR_SLACK = 0.55
CUDA_ALLOCATOR_SLACK = 0.10

# TRL's fused LM head never builds the (tokens x vocab) logits: it scores up to 4096 tokens against 32768
# vocabulary entries at a time, and only the tokens the loss counts (worker.training.lm_head: on CPU too). On CPU
# (no Triton) the tile's softmax gradient is written in torch ops, which hold ~8 tile-sized float32 temporaries at
# once (measured: 1.08 MB per token with a 49152-token vocabulary).
LM_HEAD_TOKEN_TILE = 4096
LM_HEAD_VOCAB_TILE = 32768
CPU_LM_HEAD_TILE_COPIES = 8.25
CUDA_LM_HEAD_TILE_COPIES = 2.0
# Label smoothing computes the loss from full logits (TRL's fused head only feeds the metrics then): the logits,
# their log-softmax and both gradients, in float32.
FULL_LOGITS_COPIES = 4

# bitsandbytes 4-bit: one 4-bit code per weight plus one float32 absmax per 64-weight block; double quantisation
# stores the absmax in 8 bits with a float32 constant per 256 blocks.
NF4_BYTES = 0.5 + 4 / 64
NF4_DOUBLE_QUANT_BYTES = 0.5 + 1 / 64 + 4 / (64 * 256)

# Optimiser state per trainable parameter, as a multiple of the parameter's bytes (AdamW: two moments, 8 bytes per
# float32 parameter; Lion one) or, for 8-bit optimisers, in bytes (two 1-byte moments plus block scales).
# Adafactor's factored moments and plain SGD (no momentum) keep less than counted: the issue's ~4 bytes, on purpose
# on the safe side.
OPTIMIZER_STATES = {"adamw": 2.0, "adafactor": 1.0, "sgd": 1.0, "lion": 1.0}
OPTIMIZER_8BIT_BYTES = 2.0


@dataclass(frozen=True)
class LinearLayer:
    """A linear layer of one decoder layer, named as PEFT matches target modules (suffix of the module path)."""

    name: str
    in_features: int
    out_features: int
    bias: bool = False

    @property
    def parameters(self) -> int:
        return self.in_features * self.out_features + (self.out_features if self.bias else 0)

    def matches(self, target: str) -> bool:
        return self.name == target or self.name.endswith(f".{target}")


@dataclass(frozen=True)
class Architecture:
    """What the estimate needs from a decoder-only model's config.json."""

    model_type: str
    num_layers: int
    hidden_size: int
    intermediate_size: int
    vocab_size: int
    tied_embeddings: bool
    attention_width: int  # query heads x head dim: the query and the attention output
    kv_width: int  # key/value heads x head dim
    gated_mlp: bool  # SwiGLU-style: gate and up projections, three intermediate tensors saved
    linears: tuple[LinearLayer, ...]  # one decoder layer's
    norm_parameters_per_layer: int
    other_parameters: int  # the final norm, learned position embeddings

    @property
    def embedding_parameters(self) -> int:
        return self.vocab_size * self.hidden_size * (1 if self.tied_embeddings else 2)

    @property
    def linear_parameters(self) -> int:
        """The decoder layers' linear weights: what 4-bit and 8-bit quantisation shrink."""
        return self.num_layers * sum(layer.parameters for layer in self.linears)

    @property
    def total_parameters(self) -> int:
        return (
            self.embedding_parameters
            + self.linear_parameters
            + self.num_layers * self.norm_parameters_per_layer
            + self.other_parameters
        )


# Model types whose decoder-layer module names `architecture` spells as transformers does. Another family's are not
# known here (a Falcon's are query_key_value, dense...): its LoRA target modules are left to the worker to check.
NAMED_FAMILIES = frozenset(
    {"llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "olmo", "olmo2"}
    | {"phi", "phi3", "gpt2", "gpt_neox"}
)
# Outside the decoder layers, the one linear layer a LoRA target may name.
OUTPUT_HEAD = "lm_head"


class NotAModelConfig(ValueError):
    """A config.json that does not describe a transformer model: a tokenizer's, a dataset's, or not an object."""


def _size(config: Mapping[str, Any], *names: str, default: int | None = None) -> int:
    """The first of `names` the config has, which must be a positive whole number."""
    value = next((config[name] for name in names if config.get(name) is not None), default)
    if value is None:
        raise NotAModelConfig(f"it has no {' or '.join(names)}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise NotAModelConfig(f"its {names[0]} is {value!r}, not a positive whole number")
    return value


def architecture(model_config: Mapping[str, Any]) -> Architecture:
    """The architecture of a transformers config.json: Llama-style families (Llama, Mistral, Qwen, Gemma, SmolLM,
    OLMo...), Phi-3 (fused projections), Phi-2, GPT-2 and GPT-NeoX. Multimodal configs: their text model.
    NotAModelConfig when it lacks what every model config has (or is not even a JSON object)."""
    if not isinstance(model_config, Mapping):
        raise NotAModelConfig("it is not a JSON object")
    text_config = model_config.get("text_config")
    config = {**model_config, **(text_config if isinstance(text_config, Mapping) else {})}
    model_type = str(config.get("model_type", ""))
    hidden = _size(config, "hidden_size", "n_embd", "d_model")
    layers = _size(config, "num_hidden_layers", "n_layer", "num_layers")
    heads = _size(config, "num_attention_heads", "n_head")
    kv_heads = _size(config, "num_key_value_heads", "num_kv_heads", default=heads)
    head_dim = _size(config, "head_dim", default=hidden // heads)
    intermediate = _size(config, "intermediate_size", "n_inner", "ffn_dim", default=4 * hidden)
    vocab = _size(config, "vocab_size")
    # Where config.json leaves it out, transformers uses the model class's default.
    tied = bool(config.get("tie_word_embeddings", model_type in {"gpt2", "gemma", "gemma2", "gemma3_text"}))
    q_width, kv_width = heads * head_dim, kv_heads * head_dim
    attention_bias = bool(config.get("attention_bias", False))
    mlp_bias = bool(config.get("mlp_bias", False))
    norm = 2 * hidden  # two RMSNorm weights per layer
    other = hidden  # the final RMSNorm
    gated = True
    linears: tuple[LinearLayer, ...]
    if model_type == "gpt2":
        linears = (
            LinearLayer("attn.c_attn", hidden, 3 * hidden, bias=True),
            LinearLayer("attn.c_proj", hidden, hidden, bias=True),
            LinearLayer("mlp.c_fc", hidden, intermediate, bias=True),
            LinearLayer("mlp.c_proj", intermediate, hidden, bias=True),
        )
        # LayerNorms with weight and bias; learned position embeddings.
        norm, other, gated = 4 * hidden, 2 * hidden + _size(config, "n_positions", default=1024) * hidden, False
    elif model_type == "gpt_neox":
        linears = (
            LinearLayer("attention.query_key_value", hidden, 3 * hidden, bias=True),
            LinearLayer("attention.dense", hidden, hidden, bias=True),
            LinearLayer("mlp.dense_h_to_4h", hidden, intermediate, bias=True),
            LinearLayer("mlp.dense_4h_to_h", intermediate, hidden, bias=True),
        )
        norm, other, gated = 4 * hidden, 2 * hidden, False
    elif model_type == "phi":
        linears = (
            LinearLayer("self_attn.q_proj", hidden, q_width, bias=True),
            LinearLayer("self_attn.k_proj", hidden, kv_width, bias=True),
            LinearLayer("self_attn.v_proj", hidden, kv_width, bias=True),
            LinearLayer("self_attn.dense", q_width, hidden, bias=True),
            LinearLayer("mlp.fc1", hidden, intermediate, bias=True),
            LinearLayer("mlp.fc2", intermediate, hidden, bias=True),
        )
        norm, other, gated = 2 * hidden, 2 * hidden, False  # one shared LayerNorm per layer
    elif model_type == "phi3":
        linears = (
            LinearLayer("self_attn.qkv_proj", hidden, q_width + 2 * kv_width),
            LinearLayer("self_attn.o_proj", q_width, hidden),
            LinearLayer("mlp.gate_up_proj", hidden, 2 * intermediate),
            LinearLayer("mlp.down_proj", intermediate, hidden),
        )
    else:
        # Qwen2 always has biases on q, k and v; Llama-style configs say so with attention_bias.
        qkv_bias = attention_bias or model_type in {"qwen2", "qwen2_vl", "qwen2_5_vl"}
        linears = (
            LinearLayer("self_attn.q_proj", hidden, q_width, bias=qkv_bias),
            LinearLayer("self_attn.k_proj", hidden, kv_width, bias=qkv_bias),
            LinearLayer("self_attn.v_proj", hidden, kv_width, bias=qkv_bias),
            LinearLayer("self_attn.o_proj", q_width, hidden, bias=attention_bias),
            LinearLayer("mlp.gate_proj", hidden, intermediate, bias=mlp_bias),
            LinearLayer("mlp.up_proj", hidden, intermediate, bias=mlp_bias),
            LinearLayer("mlp.down_proj", intermediate, hidden, bias=mlp_bias),
        )
        if model_type.startswith("qwen3"):
            norm += 2 * head_dim  # q_norm and k_norm
    return Architecture(
        model_type=model_type,
        num_layers=layers,
        hidden_size=hidden,
        intermediate_size=intermediate,
        vocab_size=vocab,
        tied_embeddings=tied,
        attention_width=q_width,
        kv_width=kv_width,
        gated_mlp=gated,
        linears=linears,
        norm_parameters_per_layer=norm,
        other_parameters=other,
    )


def check_config_for_model(
    arch: Architecture, config: TrainingConfig, *, field_prefix: str = "hyperparameters"
) -> None:
    """What only the model can refute, before a run is queued rather than a minute into it: the LoRA target modules
    and layers the config names must exist in the model. InvalidConfig naming the field and the model's choices."""
    problems: list[tuple[str, str]] = []
    targets = [name.strip() for name in config.lora_target_modules.split(",") if name.strip()]
    if config.method != "full" and targets != ["all-linear"] and arch.model_type in NAMED_FAMILIES:
        unknown = [t for t in targets if t != OUTPUT_HEAD and not any(layer.matches(t) for layer in arch.linears)]
        if unknown:
            choices = ", ".join([*dict.fromkeys(layer.name.rsplit(".", 1)[-1] for layer in arch.linears), OUTPUT_HEAD])
            problems.append(
                (
                    "lora_target_modules",
                    f"the model has no linear module {', '.join(map(repr, unknown))}: name some of {choices}, "
                    "or 'all-linear'",
                )
            )
    too_high = [layer for layer in config.layers_to_transform or [] if layer >= arch.num_layers]
    if too_high:
        problems.append(
            (
                "layers_to_transform",
                f"the model has {arch.num_layers} decoder layers, numbered 0 to {arch.num_layers - 1}: "
                f"{', '.join(map(str, too_high))} {'is not one' if len(too_high) == 1 else 'are not'}",
            )
        )
    if problems:
        fields = [f"{field_prefix}.{name}" for name, _ in problems]
        raise InvalidConfig(
            [f"{field}: {message}" for field, (_, message) in zip(fields, problems, strict=True)], fields[0]
        )


def adapted_linears(arch: Architecture, target_modules: str) -> tuple[LinearLayer, ...]:
    """The linear layers LoRA adapts: 'all-linear' (every linear layer but the LM head, as PEFT reads it) or a
    comma list of module names."""
    if target_modules.strip() == "all-linear":
        return arch.linears
    targets = [name.strip() for name in target_modules.split(",") if name.strip()]
    return tuple(layer for layer in arch.linears if any(layer.matches(t) for t in targets))


def adapted_layer_count(arch: Architecture, config: TrainingConfig) -> int:
    """Decoder layers with adapters: those named by layers_to_transform, else all."""
    layers = config.layers_to_transform
    if isinstance(layers, int):
        return 1
    if isinstance(layers, Sequence) and not isinstance(layers, str):
        return len(set(layers))
    return arch.num_layers


def lora_parameters(arch: Architecture, config: TrainingConfig) -> int:
    """r x (in + out) per adapted linear layer: A is (r x in), B is (out x r)."""
    r = config.lora_r
    per_layer = sum(
        r * (layer.in_features + layer.out_features) for layer in adapted_linears(arch, config.lora_target_modules)
    )
    return per_layer * adapted_layer_count(arch, config)


def _optimizer_bytes(optim: str, parameter_bytes: int) -> float:
    """Optimiser state bytes per trainable parameter."""
    if "8bit" in optim:
        return OPTIMIZER_8BIT_BYTES / 2 if "lion" in optim else OPTIMIZER_8BIT_BYTES  # Lion: one moment
    for family, multiple in OPTIMIZER_STATES.items():
        if family in optim:
            return multiple * parameter_bytes
    return OPTIMIZER_STATES["adamw"] * parameter_bytes


def layer_activation_elements(arch: Architecture, config: TrainingConfig, method: ResolvedMethod) -> tuple[int, int]:
    """Elements one decoder layer keeps for the backward pass, per token: (activations, dropout masks).

    Counted from what autograd saves in a Llama layer (recorded with saved_tensors_hooks on SmolLM2):
    - each RMSNorm its input (h); attention its query, key, value and output (2 x q_width + 2 x kv_width);
      a SwiGLU MLP the gate output, its activation and the up output (3 x intermediate; GELU: 2);
    - a frozen linear layer saves nothing (no weight gradient); a LoRA-adapted one its (dropped-out) input for
      lora_A, the dropout mask when dropout > 0, and lora_A's output (r) for lora_B;
    - full fine-tuning: every linear layer's input, i.e. the two normed inputs and the down projection's.
    """
    h, i = arch.hidden_size, arch.intermediate_size
    base = 2 * h + 2 * arch.attention_width + 2 * arch.kv_width + (3 if arch.gated_mlp else 2) * i
    if method == "full":
        return base + 2 * h + i, 0
    r = config.lora_r
    dropout = config.lora_dropout > 0
    adapted = adapted_linears(arch, config.lora_target_modules)
    inputs = sum(layer.in_features for layer in adapted)
    return base + inputs + r * len(adapted), inputs if dropout else 0


@dataclass(frozen=True)
class MemoryBreakdown:
    """Bytes by cause. `overhead`: the process (CPU), and memory the allocator holds but no tensor uses."""

    weights: int
    lora: int
    gradients: int
    optimizer: int
    activations: int
    logits: int
    overhead: int

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class MemoryEstimate:
    breakdown: MemoryBreakdown
    device: Device
    method: ResolvedMethod
    seq_len: int
    batch_size: int
    total_parameters: int
    trainable_parameters: int

    @property
    def total_bytes(self) -> int:
        """The peak: resident memory on CPU, the allocator's peak on CUDA (torch.cuda.max_memory_allocated)."""
        return self.breakdown.total

    @property
    def context_bytes(self) -> int:
        """Device memory the run takes outside the peak: the CUDA context (0 on CPU, where the peak is resident)."""
        return CUDA_CONTEXT_BYTES if self.device == "cuda" else 0

    @property
    def device_bytes(self) -> int:
        """What the run needs of its device's memory: the peak plus the context. Compared with a worker's memory."""
        return self.total_bytes + self.context_bytes


def _weight_bytes(arch: Architecture, config: TrainingConfig, method: ResolvedMethod, half: bool) -> int:
    dense_bytes = 2 if half else 4
    other = arch.total_parameters - arch.linear_parameters  # embeddings, LM head, norms: never quantised
    if method == "qlora":
        per_weight = NF4_DOUBLE_QUANT_BYTES if config.bnb_4bit_use_double_quant else NF4_BYTES
        return math.ceil(arch.linear_parameters * per_weight) + other * dense_bytes
    if method == "lora_8bit":
        # LLM.int8: one byte per weight plus a float32 scale per output row.
        rows = arch.num_layers * sum(layer.out_features for layer in arch.linears)
        return arch.linear_parameters + 4 * rows + other * dense_bytes
    if method == "full":
        return arch.total_parameters * 4  # float32 masters under mixed precision: the optimiser updates them
    return arch.total_parameters * dense_bytes


def _lm_head_bytes(arch: Architecture, tokens: int, scored_share: float, device: Device, label_smoothing: bool) -> int:
    if label_smoothing:
        return FULL_LOGITS_COPIES * tokens * arch.vocab_size * 4
    scored = math.ceil(tokens * scored_share)
    tile = min(scored, LM_HEAD_TOKEN_TILE) * min(arch.vocab_size, LM_HEAD_VOCAB_TILE)
    if device == "cpu":
        return math.ceil(CPU_LM_HEAD_TILE_COPIES * tile * 4)
    return math.ceil(CUDA_LM_HEAD_TILE_COPIES * tile * 2)


def estimate_memory(
    model_config: Mapping[str, Any],
    config: TrainingConfig,
    *,
    device: Device,
    seq_len: int,
    validation_examples: int | None = None,
    bf16_supported: bool = True,
    scored_share: float = 1.0,
) -> MemoryEstimate:
    """Peak memory of training `config` on a model with `model_config` (its config.json) on `device`.

    `seq_len`: the padded length of the longest batch. Batches are padded to their longest row, so pass the longest
    example (capped at max_seq_length), or max_seq_length when sequences are packed.
    `validation_examples`: the validation split's size, which caps the evaluation batch (None: a full batch).
    `bf16_supported`: a GPU's only picks between two 16-bit formats (the same bytes); a CPU's between bf16 and fp32.
    `scored_share`: the share of those tokens the loss counts (scored_share()), which the LM head scores.
    """
    arch = architecture(model_config)
    hardware: Hardware = resolve_hardware(config, device, bf16_supported=bf16_supported)
    method, half = hardware.method, hardware.half_precision
    act_bytes = 2 if half else 4
    # CUDA dropout keeps a 1-byte mask; the CPU kernel a float mask the size of its input.
    mask_bytes = 1 if device == "cuda" else act_bytes
    batch = config.per_device_train_batch_size
    eval_batch = config.per_device_eval_batch_size
    if validation_examples is not None:
        eval_batch = min(eval_batch, validation_examples)
    tokens = batch * seq_len

    weights = _weight_bytes(arch, config, method, half)
    # Trained parameters are float32 whatever the precision: adapters (QLoRA's included) and full fine-tuning's
    # master weights.
    parameter_bytes = 4
    if method == "full":
        trainable = arch.total_parameters
        lora = 0
    else:
        trainable = lora_parameters(arch, config)
        lora = trainable * parameter_bytes
    gradients = trainable * parameter_bytes
    optimizer = math.ceil(trainable * _optimizer_bytes(config.optim, parameter_bytes))

    activation_elements, mask_elements = layer_activation_elements(arch, config, method)
    per_token_layer = activation_elements * act_bytes + mask_elements * mask_bytes
    embeddings_and_final_norm = 2 * arch.hidden_size * act_bytes
    full_forward = tokens * (arch.num_layers * per_token_layer + embeddings_and_final_norm)
    if config.gradient_checkpointing:
        # Only each layer's input is kept; the backward pass recomputes one layer at a time.
        activations = tokens * (arch.num_layers * arch.hidden_size * act_bytes + per_token_layer)
    else:
        activations = full_forward
    label_smoothing = config.label_smoothing_factor > 0
    logits = _lm_head_bytes(arch, tokens, scored_share, device, label_smoothing)

    if device == "cpu":
        overhead = CPU_PROCESS_BYTES + math.ceil(CPU_ALLOCATOR_SLACK * full_forward)
    else:
        overhead = math.ceil(CUDA_ALLOCATOR_SLACK * (activations + logits))

    # Evaluation: no gradients, one layer's temporaries at a time, but its own (maybe bigger) batch.
    eval_tokens = eval_batch * seq_len
    eval_activations = eval_tokens * per_token_layer
    eval_logits = _lm_head_bytes(arch, eval_tokens, scored_share, device, label_smoothing=False)
    if eval_activations + eval_logits > activations + logits:
        activations, logits = eval_activations, eval_logits

    breakdown = MemoryBreakdown(
        weights=weights,
        lora=lora,
        gradients=gradients,
        optimizer=optimizer,
        activations=activations,
        logits=logits,
        overhead=overhead,
    )
    return MemoryEstimate(
        breakdown=breakdown,
        device=device,
        method=method,
        seq_len=seq_len,
        batch_size=batch,
        total_parameters=arch.total_parameters,
        trainable_parameters=trainable,
    )


def peak_seq_len(lengths: Sequence[int] | None, config: TrainingConfig) -> int:
    """The per-example length of the batch with the most tokens (the estimate's tokens are batch x this): max_seq_length
    when packed rows fill it (or when the lengths are not known yet: the worst case). A padded batch is padded to its
    longest row: the longest example, cut to max_seq_length. A padding-free batch holds its examples' tokens and
    nothing else: at most the batch's worth of longest examples, so their mean length."""
    if config.packing or not lengths:
        return config.max_seq_length
    cut = sorted((min(length, config.max_seq_length) for length in lengths), reverse=True)
    if config.padding_free:
        longest = cut[: config.per_device_train_batch_size]
        return math.ceil(sum(longest) / len(longest))
    return cut[0]


def scored_share(lengths: Sequence[int] | None, answer_lengths: Sequence[int] | None, config: TrainingConfig) -> float:
    """The share of the peak batch's tokens (batch x peak_seq_len) the loss counts: 1 when every token is trained or
    the answers were not counted. Packed rows hold a sample of all examples: the answers' share of every token. A
    padded or padding-free batch holds at most the batch's worth of longest answers."""
    if not config.completion_only_loss or not lengths or not answer_lengths:
        return 1.0
    cap = config.max_seq_length
    if config.packing:
        share = sum(min(a, cap) for a in answer_lengths) / sum(min(n, cap) for n in lengths)
    else:
        longest = sorted((min(a, cap) for a in answer_lengths), reverse=True)[: config.per_device_train_batch_size]
        share = sum(longest) / (len(longest) * peak_seq_len(lengths, config))
    return min(1.0, share)


@dataclass(frozen=True)
class HardwareChoice:
    """How a run trains on a device of some memory, its estimate with that method, and why (None: as asked)."""

    hardware: Hardware
    estimate: MemoryEstimate
    reason: str | None


def choose_hardware(
    model_config: Mapping[str, Any],
    config: TrainingConfig,
    *,
    device: Device,
    memory_bytes: int,
    seq_len: int,
    validation_examples: int | None = None,
    bf16_supported: bool = True,
    scored_share: float = 1.0,
) -> HardwareChoice:
    """The method `config` trains with on `device` with `memory_bytes` of memory, by the estimate.

    The one resolution of method auto, which the worker applies and the API's estimate predicts. On a GPU: LoRA on
    half-precision weights when it fits with headroom (HEADROOM_SHARE of the memory; the estimate can be 25% off),
    else QLoRA, the least memory; QLoRA also when nothing fits, and the API's verdict says so before launch. On CPU
    always LoRA: 4-bit NF4 weights made SmolLM2 worse there (val loss 1.33 → 2.47).
    """

    def resolved(method: ResolvedMethod | None) -> tuple[Hardware, MemoryEstimate]:
        """`method` instead of auto; None: as the config says."""
        fixed = config if method is None else config.model_copy(update={"method": method})
        hardware = resolve_hardware(fixed, device, bf16_supported=bf16_supported)
        estimate = estimate_memory(
            model_config,
            fixed,
            device=device,
            seq_len=seq_len,
            validation_examples=validation_examples,
            bf16_supported=bf16_supported,
            scored_share=scored_share,
        )
        return hardware, estimate

    if config.method != "auto":
        return HardwareChoice(*resolved(None), reason=None)
    if device == "cpu":
        why = "method auto: LoRA, as always on CPU (4-bit weights were measured to make small models worse there)"
        return HardwareChoice(*resolved("lora"), reason=why)
    lora_hardware, lora = resolved("lora")
    lora_name = f"LoRA on {lora_hardware.precision} weights"
    lora_needs = _needs(lora)
    room = f"{HEADROOM_SHARE:.0%} of the GPU's {format_bytes(memory_bytes)}"
    if lora.device_bytes <= HEADROOM_SHARE * memory_bytes:
        return HardwareChoice(
            lora_hardware, lora, reason=f"method auto: {lora_name}: it needs {lora_needs}, within {room}"
        )
    qlora_hardware, qlora = resolved("qlora")
    if qlora.device_bytes <= memory_bytes:
        why = f"method auto: QLoRA (4-bit weights): {lora_name} would need {lora_needs}, over {room}; QLoRA needs {_needs(qlora)}"
    else:
        why = (
            f"method auto: QLoRA, the least memory, though it needs {_needs(qlora)}, more than the GPU's "
            f"{format_bytes(memory_bytes)} ({lora_name} would need {lora_needs}): it may run out of memory"
        )
    return HardwareChoice(qlora_hardware, qlora, reason=why)


def _needs(estimate: MemoryEstimate) -> str:
    """ "5.3 GB (peak 4.8 GB + 0.5 GB CUDA context)"."""
    return (
        f"{format_bytes(estimate.device_bytes)} (peak {format_bytes(estimate.total_bytes)} + "
        f"{format_bytes(estimate.context_bytes)} CUDA context)"
    )


def training_tokens(lengths: Sequence[int], num_train: int, config: TrainingConfig) -> int:
    """Tokens the trainer will process (padding excluded, as TRL counts them): examples truncated to
    max_seq_length, over every epoch or max_steps x the effective batch."""
    if not lengths or num_train <= 0:
        return 0
    max_len = config.max_seq_length
    mean = sum(min(length, max_len) for length in lengths) / len(lengths)
    if config.max_steps > 0:
        examples = config.max_steps * config.per_device_train_batch_size * config.gradient_accumulation_steps
    else:
        examples = math.ceil(num_train * config.num_train_epochs)
    return round(examples * mean)


def estimate_seconds(tokens: int, tokens_per_second: float) -> float | None:
    """Training time at a measured throughput (the tokens_per_second metric of an earlier run)."""
    if tokens_per_second <= 0:
        return None
    return tokens / tokens_per_second


def format_bytes(value: float) -> str:
    return f"{value / GB:.1f} GB"
