"""Answer rendered prompts, one path for every caller: the test prompts after a run (fine-tuned and base model,
greedy), an evaluation's prompts with its own decoding, the pinned examples during training.

Why not `model.generate`: its batch runs until the longest answer ends, computing every finished row to the end, and
pads each batch to its longest prompt; batching gained 2x at batch 16 on CPU that way. Here prompts are batched by token
length, a row leaves the batch as soon as its answer ends (its key/value cache rows are dropped), the tokens every
prompt of a batch starts with (the template's instructions) are computed once, and the batch size follows the free
memory. Figures: bench/generation.py.
"""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import torch
from peft import PeftModel
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    Cache,
    DynamicCache,
    LogitsProcessorList,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    RepetitionPenaltyLogitsProcessor,
    StopStringCriteria,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)
from transformers.cache_utils import DynamicLayer

from domain.decoding import Decoding
from domain.estimate import architecture
from domain.hardware import Device
from domain.log import LogKind
from worker.training.hardware import detect_device, model_dtype
from worker.training.types import TrainingSink

REPLACEMENT_CHARACTER = "\ufffd"  # what decoding puts for bytes that are not a whole UTF-8 character
GREEDY = Decoding()
# Larger batches are faster on CPU too (a decoding step reads every weight once, whatever the rows; a batch takes as
# many steps as its longest answer), but report progress and notice a cancel less often. Below this, memory decides.
MAX_BATCH_SIZE = 64
# The share of free memory a batch may take: the rest is headroom for the allocator and the process around it.
MEMORY_SHARE = 0.5
# Below this many tokens in common, computing them once does not pay for the extra forward pass.
MIN_SHARED_PREFIX = 8
# Prompts prefilled together: the longest at most this many times the shortest. Padding a prompt to one 25% longer
# costs less than another forward pass.
GROUP_LENGTH_RATIO = 1.25

# Called after each batch with the number of prompts answered so far; False stops the generation (a cancel).
Progress = Callable[[int], bool]


class GenerationStopped(Exception):
    """The progress callback asked to stop."""


def answer(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    max_new_tokens: int,
    decoding: Decoding = GREEDY,
    *,
    max_batch_size: int | None = None,
    progress: Progress | None = None,
) -> list[str]:
    """The model's answers to already-rendered prompts, in prompt order. GenerationStopped when `progress` says stop.

    In float32, greedy answers are the same whatever the batch size; in 16-bit, a batch's shape changes the rounding
    of its sums, and with it now and then a near-tie between two tokens. Sampled ones are drawn per prompt from
    `decoding.seed` plus the prompt's index: the batch size changes them no more than it changes greedy ones.
    """
    if not prompts:
        return []
    device = next(model.parameters()).device
    token_ids: list[list[int]] = tokenizer(list(prompts), add_special_tokens=True)["input_ids"]
    # Batches of similar length compute little padding; the answers are put back in prompt order.
    order = sorted(range(len(prompts)), key=lambda i: len(token_ids[i]))
    size = batch_size_for(model, len(token_ids[order[-1]]), max_new_tokens, max_batch_size)
    decoder = _Decoder(model, tokenizer, decoding, max_new_tokens, device)
    answers = [""] * len(prompts)
    for start in range(0, len(order), size):
        batch = order[start : start + size]
        generated = decoder.run([token_ids[i] for i in batch], [decoding.seed + i for i in batch])
        for i, (tokens, hit_limit) in zip(batch, generated, strict=True):
            answers[i] = cut_at_stop(decode_answer(tokenizer, tokens, hit_limit=hit_limit), decoding.stop)
        if progress is not None and not progress(start + len(batch)):
            raise GenerationStopped()
    return answers


class _Decoder:
    """Decodes one batch of token-id prompts: left padding, a key/value cache, finished rows dropped."""

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: PreTrainedTokenizerBase,
        decoding: Decoding,
        max_new_tokens: int,
        device: torch.device,
    ) -> None:
        self.model = model
        self.max_new_tokens = max_new_tokens
        self.device = device
        self.sampling = decoding.strategy == "sampling"
        self.pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id)
        # The tokenizer's end token and those the model's generation config names (Llama 3 ends turns with another).
        shipped = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        self.end_ids = torch.tensor(sorted({*_as_list(tokenizer.eos_token_id), *_as_list(shipped)}), device=device)
        # Stop strings are matched on the tokens' text, as generate() does: the tokenizer knows which tokens end one.
        self.stop = StopStringCriteria(tokenizer, decoding.stop) if decoding.stop else None
        # The processors generate() would apply, in its order; sampling defaults shipped with a model never apply.
        processors = LogitsProcessorList()
        if decoding.repetition_penalty != 1.0:
            processors.append(RepetitionPenaltyLogitsProcessor(decoding.repetition_penalty))
        if self.sampling:
            if decoding.temperature != 1.0:
                processors.append(TemperatureLogitsWarper(decoding.temperature))
            if decoding.top_k > 0:
                processors.append(TopKLogitsWarper(decoding.top_k))
            if decoding.top_p < 1.0:
                processors.append(TopPLogitsWarper(decoding.top_p))
        self.processors = processors
        # Groups of prompts prefilled apart are stacked into one cache by padding each layer's keys and values: only
        # plain full-attention layers can be (not sliding windows, nor linear attention's states).
        cache_layers = DynamicCache(config=model.config).layers  # type: ignore[arg-type]
        self.stackable = all(type(layer) is DynamicLayer for layer in cache_layers)

    def run(self, prompts: list[list[int]], seeds: list[int]) -> list[tuple[list[int], bool]]:
        """Each prompt's new tokens, and whether the answer was cut by max_new_tokens (rather than ending itself)."""
        generators = [torch.Generator(self.device).manual_seed(seed) for seed in seeds] if self.sampling else []
        live = list(range(len(prompts)))  # the prompts still answering, one per batch row
        new_tokens: list[list[int]] = [[] for _ in prompts]
        cut = [False] * len(prompts)
        with torch.inference_mode():
            logits, cache, sequences, mask = self._prefill(prompts)
            for step in range(self.max_new_tokens):
                scores = self.processors(cast(torch.LongTensor, sequences), logits)
                next_ids = self._pick(scores, [generators[i] for i in live] if self.sampling else [])
                sequences = torch.cat([sequences, next_ids[:, None]], dim=-1)
                for i, token in zip(live, next_ids.tolist(), strict=True):
                    new_tokens[i].append(token)
                ended = torch.isin(next_ids, self.end_ids)
                if self.stop is not None:
                    ended |= self.stop(cast(torch.LongTensor, sequences), scores)
                if step == self.max_new_tokens - 1:
                    for i, done in zip(live, ended.tolist(), strict=True):
                        cut[i] = not done
                    break
                keep = (~ended).nonzero().squeeze(-1)
                if keep.numel() == 0:
                    break
                if keep.numel() < len(live):
                    # A finished answer leaves the batch: its rows of every tensor, and of the cache, are dropped.
                    cache.reorder_cache(cast(torch.LongTensor, keep))
                    sequences, mask, next_ids = sequences[keep], mask[keep], next_ids[keep]
                    live = [live[k] for k in keep.tolist()]
                mask = torch.cat([mask, mask.new_ones(len(live), 1)], dim=-1)
                logits, cache = self._forward(next_ids[:, None], mask, mask.sum(-1, keepdim=True) - 1, cache)
        return list(zip(new_tokens, cut, strict=True))

    def _prefill(self, prompts: list[list[int]]) -> tuple[torch.Tensor, Cache, torch.Tensor, torch.Tensor]:
        """The prompts through the model: (the next token's logits, the cache, the prompts as one padded tensor for
        the repetition penalty and stop strings, the attention mask over the cache).

        Prompts of similar length go through together, each group padded to its longest only; their caches are then
        stacked into one, each group's left-padded with masked columns.
        """
        groups = _length_groups([len(ids) for ids in prompts]) if self.stackable else [range(len(prompts))]
        parts = [self._prefill_group([prompts[i] for i in group]) for group in groups]
        if len(parts) == 1:
            logits, cache, mask = parts[0]
        else:
            columns = max(mask.shape[1] for _, _, mask in parts)
            logits = torch.cat([logits for logits, _, _ in parts])
            cache = _stacked([cache for _, cache, _ in parts], columns)
            mask = torch.cat([torch.nn.functional.pad(mask, (columns - mask.shape[1], 0)) for _, _, mask in parts])
        # The penalty sees the padding: it repeats the row's first token, which the penalty counts once anyway, so a
        # padded prompt is penalised exactly as when it is alone.
        width = max(len(ids) for ids in prompts)
        sequences = torch.tensor([[ids[0]] * (width - len(ids)) + ids for ids in prompts], device=self.device)
        return logits, cache, sequences, mask

    def _prefill_group(self, prompts: list[list[int]]) -> tuple[torch.Tensor, Cache, torch.Tensor]:
        """The tokens every prompt of the group starts with (a template's instructions, often most of a short
        prompt) are computed once and their cache shared by the rows. The rest of each prompt is padded on the left
        (decoder-only models continue from the last position); the mask hides the padding from the model and the
        position ids skip it, so each row computes what it would alone."""
        shared = _shared_prefix(prompts) if len(prompts) > 1 else 0
        cache = None
        if shared >= MIN_SHARED_PREFIX:
            prefix = torch.tensor([prompts[0][:shared]], device=self.device)
            _, cache = self._forward(prefix, torch.ones_like(prefix), torch.arange(shared)[None], None)
            cache.batch_repeat_interleave(len(prompts))
        else:
            shared = 0
        rests = [ids[shared:] for ids in prompts]
        width = max(len(rest) for rest in rests)
        mask = torch.tensor([[1] * shared + [0] * (width - len(r)) + [1] * len(r) for r in rests], device=self.device)
        rows = torch.tensor([[self.pad_id] * (width - len(rest)) + rest for rest in rests], device=self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, shared:]
        logits, cache = self._forward(rows, mask, positions, cache)
        return logits, cache, mask

    def _forward(
        self, input_ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, cache: Cache | None
    ) -> tuple[torch.Tensor, Cache]:
        """The next token's logits (float32, as generate() processes them) and the cache with these tokens."""
        output = self.model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=positions.to(self.device),
            past_key_values=cache,
            use_cache=True,  # the Trainer turns it off for gradient checkpointing: without it, quadratic
            logits_to_keep=1,  # only the last position's logits are needed
        )
        return output.logits[:, -1, :].float(), output.past_key_values

    def _pick(self, scores: torch.Tensor, generators: list[torch.Generator]) -> torch.Tensor:
        if not self.sampling:
            return scores.argmax(dim=-1)
        probabilities = torch.softmax(scores, dim=-1)
        # One generator per prompt: its draws do not depend on the other rows of the batch.
        return torch.cat(
            [
                torch.multinomial(row, 1, generator=generator)
                for row, generator in zip(probabilities, generators, strict=True)
            ]
        )


def _length_groups(lengths: list[int]) -> list[range]:
    """Consecutive runs of ascending `lengths` whose longest is at most GROUP_LENGTH_RATIO times the shortest."""
    groups: list[range] = []
    start = 0
    for index in range(1, len(lengths) + 1):
        if index == len(lengths) or lengths[index] > GROUP_LENGTH_RATIO * lengths[start]:
            groups.append(range(start, index))
            start = index
    return groups


def _stacked(caches: list[Cache], columns: int) -> DynamicCache:
    """The caches' rows in one cache of `columns` positions, each left-padded with zeros (which the mask hides)."""

    def padded(states: torch.Tensor) -> torch.Tensor:  # [rows, heads, positions, head dim]
        return torch.nn.functional.pad(states, (0, 0, columns - states.shape[-2], 0))

    per_layer = zip(*(cache.layers for cache in caches), strict=True)
    return DynamicCache(
        [
            (torch.cat([padded(layer.keys) for layer in layers]), torch.cat([padded(layer.values) for layer in layers]))
            for layers in per_layer
        ]
    )


def _shared_prefix(prompts: list[list[int]]) -> int:
    """How many tokens every prompt starts with, leaving each at least one of its own (whose logits come next)."""
    shared = min(len(ids) for ids in prompts) - 1
    first = prompts[0]
    for ids in prompts[1:]:
        shared = next((i for i in range(shared) if ids[i] != first[i]), shared)
    return max(shared, 0)


def batch_size_for(model: torch.nn.Module, longest_prompt: int, max_new_tokens: int, cap: int | None = None) -> int:
    """The most prompts whose generation fits in MEMORY_SHARE of the free memory (GPU memory on CUDA), at most
    MAX_BATCH_SIZE and `cap`, at least 1."""
    # The activations and the cache are in the dtype of the (floating-point) weights.
    weight = next(parameter for parameter in model.parameters() if parameter.is_floating_point())
    config = model.config.get_text_config()  # type: ignore[union-attr, operator]
    per_row = generation_row_bytes(config.to_dict(), longest_prompt, max_new_tokens, weight.element_size())
    fits = int(free_memory_bytes(weight.device) * MEMORY_SHARE // per_row)
    return max(1, min(fits, MAX_BATCH_SIZE, cap or MAX_BATCH_SIZE))


def generation_row_bytes(
    model_config: dict[str, object], prompt_tokens: int, max_new_tokens: int, element_bytes: int
) -> int:
    """Memory one prompt's generation holds at its peak: its key/value cache at full length, the prefill's largest
    activations (one layer's at a time under inference mode, attention scores included) and the float32 logits
    with their processed copies."""
    arch = architecture(model_config)
    heads = int(model_config.get("num_attention_heads") or 1)  # type: ignore[call-overload]
    cache = 2 * arch.num_layers * arch.kv_width * (prompt_tokens + max_new_tokens) * element_bytes
    widths = 3 * arch.hidden_size + arch.attention_width + 2 * arch.kv_width + 3 * arch.intermediate_size
    prefill = prompt_tokens * widths * element_bytes + heads * prompt_tokens * prompt_tokens * 4
    logits = 3 * arch.vocab_size * 4
    return cache + prefill + logits


def free_memory_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        # Memory this process's allocator holds but does not use is free for the batch too.
        return int(free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device))
    with open("/proc/meminfo") as meminfo:
        fields = dict(line.split(":", 1) for line in meminfo)
    return int(fields["MemAvailable"].split()[0]) * 1024


def cut_at_stop(text: str, stop: list[str]) -> str:
    """The answer up to the first stop string, which is not part of it. Generation stops at the token that completes
    one; the text is cut here because a token can run past the string's end."""
    cut = min((index for index in (text.find(s) for s in stop) if index >= 0), default=-1)
    return text if cut < 0 else text[:cut].strip()


def decode_answer(tokenizer: PreTrainedTokenizerBase, tokens: list[int], *, hit_limit: bool) -> str:
    """The answer's text. A generation cut by max_new_tokens can end in the first bytes of a multi-byte character
    (an emoji is 4 bytes, often 2 or 3 tokens), which decode to one U+FFFD: that incomplete tail is dropped.
    A U+FFFD anywhere else, or in an answer that ended by itself, is what the model wrote and stays."""
    text = str(tokenizer.decode(tokens, skip_special_tokens=True))
    if hit_limit and text.endswith(REPLACEMENT_CHARACTER):
        text = text[:-1]
    return text.strip()


def _as_list(ids: int | list[int] | None) -> list[int]:
    return [] if ids is None else [ids] if isinstance(ids, int) else list(ids)


def load_tokenizer(base_model: str, weights_dir: Path | None) -> PreTrainedTokenizerBase:
    """The trainer saves the tokenizer with the final weights; a checkpoint may lack it, and then the base model's is
    the same one."""
    has_tokenizer = weights_dir is not None and (weights_dir / "tokenizer_config.json").is_file()
    tokenizer = AutoTokenizer.from_pretrained(weights_dir if has_tokenizer else base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(location: str | Path, device: Device, dtype: torch.dtype | None = None) -> PreTrainedModel:
    """A model that only answers: unquantised, in `dtype` (default: the device's inference dtype), in eval mode (no
    dropout)."""
    model = AutoModelForCausalLM.from_pretrained(location, dtype=dtype or model_dtype(device), device_map=device)
    model.eval()
    return model


def load_answering_model(base_model: str, weights_dir: Path | None, device: Device) -> torch.nn.Module:
    """`weights_dir`: a LoRA adapter (adapter_config.json: the final one or a checkpoint's) on the base model, or a
    whole model (method full); None: the base model alone. Always unquantised, whatever the run trained with."""
    if weights_dir is None:
        return load_model(base_model, device)
    if (weights_dir / "adapter_config.json").is_file():
        model = PeftModel.from_pretrained(load_model(base_model, device), weights_dir)
        model.eval()
        return model
    return load_model(weights_dir, device)


def generate_answers(
    base_model: str,
    weights_dir: Path,
    prompts: list[str],
    max_new_tokens: int,
    sink: TrainingSink | None = None,
    max_batch_size: int | None = None,
) -> tuple[list[str], list[str]]:
    """Greedy answers to already-rendered prompts after a run: (fine-tuned answers, base-model answers), in prompt
    order. `weights_dir` is what train() saved: a LoRA adapter or, after method full, a whole model."""
    if not prompts:
        return [], []
    device = detect_device()
    tokenizer = load_tokenizer(base_model, weights_dir)

    def answered(model: torch.nn.Module, label: str) -> list[str]:
        def logged(done: int) -> bool:
            if sink is not None:
                sink.log(f"{label}: answered {done} of {len(prompts)} prompts", LogKind.PROGRESS)
            return True

        return answer(model, tokenizer, prompts, max_new_tokens, max_batch_size=max_batch_size, progress=logged)

    def loading(what: str) -> None:
        if sink is not None:
            sink.log(f"loading {what} for generation on {device} in {model_dtype(device)}", LogKind.PROGRESS)

    if (weights_dir / "adapter_config.json").is_file():
        loading(f"{base_model} with the adapter")
        model = load_answering_model(base_model, weights_dir, device)
        assert isinstance(model, PeftModel)
        tuned = answered(model, "fine-tuned model")
        with model.disable_adapter():
            return tuned, answered(model, "base model")

    # Method full: two whole models, loaded one after the other so memory holds one at a time (each is released
    # when its answers are done: nothing else refers to it).
    loading("the fine-tuned model")
    tuned = answered(load_model(weights_dir, device), "fine-tuned model")
    loading(base_model)
    return tuned, answered(load_model(base_model, device), "base model")


def answer_prompts(
    base_model: str,
    weights_dir: Path | None,
    prompts: list[str],
    decoding: Decoding,
    max_new_tokens: int,
    *,
    max_batch_size: int | None = None,
    progress: Progress | None = None,
) -> list[str] | None:
    """One model's answers to already-rendered prompts (an evaluation), in prompt order; None when `progress` stopped
    it. `weights_dir` as in load_answering_model."""
    if not prompts:
        return []
    model = load_answering_model(base_model, weights_dir, detect_device())
    tokenizer = load_tokenizer(base_model, weights_dir)
    try:
        return answer(
            model, tokenizer, prompts, max_new_tokens, decoding, max_batch_size=max_batch_size, progress=progress
        )
    except GenerationStopped:
        return None
