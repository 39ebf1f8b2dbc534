"""Tokens and loss mask of rendered examples: the one implementation the trainer and the API's preview share.

Only the `tokenizers` library (Rust) and the standard library: the API imports this, and never transformers.

How an example becomes tokens:
- The whole training text is encoded at once, as the model's tokenizer encodes any text, then each token takes
  its loss flag from the characters it covers (the tokenizer's offsets): a token covering any character of an
  answer is trained. Encoding segment by segment would be wrong for SentencePiece-style tokenizers (Llama 2,
  Mistral, Phi-3), which start every separately encoded piece with a word-start marker. A token that merges the
  prompt's last characters with the answer's first counts as answer, as TRL counts it. The built-in templates
  end their prompts on a line break or a special token, so this does not happen with them.
- No special tokens are added automatically except the BOS a model expects first (Llama 3, Mistral and Gemma
  tokenizers add one, SmolLM2 and Qwen none): chat templates render bos_token as nothing, so it is added here,
  once, exactly when the tokenizer (its post-processor, or add_bos_token in tokenizer_config.json, as
  transformers reads it) would add it. Generation encodes the prompt with the same rule.
- The eos token follows the last answer unless that answer already ends with it (ChatML's <|im_end|> is
  SmolLM2's eos): exactly one trained eos at the end, so the model learns to stop.
- Truncation keeps the first max_length tokens (TRL's keep_start); the cut tokens are reported as "truncated".
  An example with no trained token left (its prompt fills max_length) teaches nothing: the trainer skips it.
"""

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, NamedTuple

from tokenizers import Encoding, Tokenizer
from tokenizers.processors import TemplateProcessing

from domain.templates import RenderedExample

Reason = Literal["prompt", "truncated"]


class LoadedTokenizer(NamedTuple):
    tokenizer: Tokenizer
    eos_token: str


@dataclass(frozen=True)
class Token:
    id: int
    text: str  # the characters of the training text it stands for; all of them together give the text back
    trained: bool
    reason: Reason | None  # why it is not trained: the prompt (completion-only loss) or truncation; None: trained


@dataclass(frozen=True)
class TokenizedExample:
    ids: tuple[int, ...]  # every token, those past max_length included
    texts: tuple[str, ...]
    answer: tuple[bool, ...]  # the token is part of an answer (the eos included)
    max_length: int
    completion_only_loss: bool

    @property
    def num_tokens_before_truncation(self) -> int:
        return len(self.ids)

    @property
    def num_tokens(self) -> int:
        """Tokens the trainer sees."""
        return min(len(self.ids), self.max_length)

    @property
    def truncated(self) -> bool:
        return len(self.ids) > self.max_length

    @property
    def input_ids(self) -> list[int]:
        return list(self.ids[: self.max_length])

    @cached_property
    def completion_mask(self) -> list[int]:
        """1 for each kept token the loss is computed on, 0 for the others: TRL's `completion_mask` column."""
        kept = self.answer[: self.max_length]
        return [1 if a or not self.completion_only_loss else 0 for a in kept]

    @property
    def has_target(self) -> bool:
        return any(self.completion_mask)

    def reason(self, index: int) -> Reason | None:
        if index >= self.max_length:
            return "truncated"
        return None if self.completion_mask[index] else "prompt"

    @property
    def tokens(self) -> list[Token]:
        reasons = [self.reason(i) for i in range(len(self.ids))]
        return [
            Token(id=i, text=t, trained=r is None, reason=r)
            for i, t, r in zip(self.ids, self.texts, reasons, strict=True)
        ]


def _token_content(value: Any) -> str | None:
    """A special token as tokenizer_config.json writes it: a string or an AddedToken dict."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    return None


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def load_tokenizer(model_dir: str | Path) -> LoadedTokenizer:
    """The tokenizer of a model directory (tokenizer.json) and its eos token (tokenizer_config.json)."""
    directory = Path(model_dir)
    if not (directory / "tokenizer.json").is_file():
        raise FileNotFoundError(f"{directory} has no tokenizer.json (only fast tokenizers are supported)")
    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    config = _read_json(directory / "tokenizer_config.json")
    special = _read_json(directory / "special_tokens_map.json")
    eos = _token_content(config.get("eos_token")) or _token_content(special.get("eos_token"))
    if eos is None or tokenizer.token_to_id(eos) is None:
        raise ValueError(f"{directory}: tokenizer_config.json names no eos token that is in the vocabulary")
    # transformers rebuilds the post-processor when the config says whether to add a BOS; do the same, so the
    # BOS rule here is the one `AutoTokenizer` follows when the worker encodes generation prompts.
    if "add_bos_token" in config:
        bos = _token_content(config.get("bos_token")) or _token_content(special.get("bos_token"))
        bos_id = tokenizer.token_to_id(bos) if bos is not None else None
        if config["add_bos_token"] and bos is not None and bos_id is not None:
            tokenizer.post_processor = TemplateProcessing(
                single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1", special_tokens=[(bos, bos_id)]
            )
        else:
            tokenizer.post_processor = TemplateProcessing(single="$A:0", pair="$A:0 $B:1", special_tokens=[])
    return LoadedTokenizer(tokenizer, eos)


def bos_ids(tokenizer: Tokenizer) -> list[int]:
    """The tokens the tokenizer puts before any text (usually a BOS, often nothing)."""
    plain = tokenizer.encode("a", add_special_tokens=False).ids
    full = tokenizer.encode("a", add_special_tokens=True).ids
    for start in range(len(full) - len(plain) + 1):
        if full[start : start + len(plain)] == plain:
            return full[:start]
    return []


def _eos_id(tokenizer: Tokenizer, eos_token: str) -> int:
    eos_id = tokenizer.token_to_id(eos_token)
    if eos_id is None:
        raise ValueError(f"the eos token {eos_token!r} is not in the tokenizer's vocabulary")
    return eos_id


def _encode(tokenizer: Tokenizer, rendered: Sequence[RenderedExample]) -> list[Encoding]:
    return tokenizer.encode_batch([r.text for r in rendered], add_special_tokens=False)


def _assemble(
    rendered: RenderedExample, encoding: Encoding, bos: list[int], bos_text: str, eos_id: int, eos_token: str
) -> tuple[list[int], list[str], list[bool]]:
    text = rendered.text
    starts: list[int] = []  # character offset where each segment starts
    position = 0
    for segment in rendered.segments:
        starts.append(position)
        position += len(segment.text)
    trained = [s.trained for s in rendered.segments]

    ids: list[int] = []
    texts: list[str] = []
    answer: list[bool] = []
    if bos and list(encoding.ids[: len(bos)]) != bos:
        ids += bos
        texts += [bos_text] + [""] * (len(bos) - 1)
        answer += [False] * len(bos)
    covered = 0  # characters given to tokens so far
    for token_id, (_start, end) in zip(encoding.ids, encoding.offsets, strict=True):
        # A token stands for the characters since the previous one ended: gaps (whitespace some tokenizers leave
        # out of offsets) join the next token; the second half of a character split in two bytes gets "".
        begin, stop = covered, max(end, covered)
        if stop > begin:
            first = bisect.bisect_right(starts, begin) - 1
            last = bisect.bisect_right(starts, stop - 1) - 1
            # Segments alternate prompt/answer: a token over two or more of them covers some answer.
            is_answer = trained[first] or last > first
        else:
            is_answer = answer[-1] if answer else trained[0]
        ids.append(token_id)
        texts.append(text[begin:stop])
        answer.append(is_answer)
        covered = stop
    if covered < len(text) and texts:
        texts[-1] += text[covered:]
    if not (ids and ids[-1] == eos_id and text.endswith(eos_token)):
        ids.append(eos_id)
        texts.append(eos_token)
        answer.append(True)
    return ids, texts, answer


def tokenize_many(
    tokenizer: Tokenizer,
    rendered: Sequence[RenderedExample],
    *,
    eos_token: str,
    max_length: int,
    completion_only_loss: bool,
) -> list[TokenizedExample]:
    """Tokens, per-token loss flags and truncation of many examples (one batched, multi-threaded encode)."""
    eos_id = _eos_id(tokenizer, eos_token)
    bos = bos_ids(tokenizer)
    bos_text = (tokenizer.id_to_token(bos[0]) or "") if bos else ""
    result = []
    for example, encoding in zip(rendered, _encode(tokenizer, rendered), strict=True):
        ids, texts, answer = _assemble(example, encoding, bos, bos_text, eos_id, eos_token)
        result.append(TokenizedExample(tuple(ids), tuple(texts), tuple(answer), max_length, completion_only_loss))
    return result


def tokenize_rendered(
    tokenizer: Tokenizer,
    rendered: RenderedExample,
    *,
    eos_token: str,
    max_length: int,
    completion_only_loss: bool,
) -> TokenizedExample:
    return tokenize_many(
        tokenizer, [rendered], eos_token=eos_token, max_length=max_length, completion_only_loss=completion_only_loss
    )[0]


def token_lengths(tokenizer: Tokenizer, rendered: Sequence[RenderedExample], *, eos_token: str) -> list[int]:
    """Tokens of each example before truncation, as tokenize_many counts them, without building the mask."""
    eos_id = _eos_id(tokenizer, eos_token)
    bos = bos_ids(tokenizer)
    lengths = []
    for example, encoding in zip(rendered, _encode(tokenizer, rendered), strict=True):
        ids = encoding.ids
        length = len(ids)
        if bos and list(ids[: len(bos)]) != bos:
            length += len(bos)
        if not (ids and ids[-1] == eos_id and example.text.endswith(eos_token)):
            length += 1
        lengths.append(length)
    return lengths


def answer_token_lengths(tokenizer: Tokenizer, rendered: Sequence[RenderedExample], *, eos_token: str) -> list[int]:
    """Answer tokens of each example before truncation (the eos included): what completion-only loss scores.

    Each answer is encoded on its own, in one batch, instead of flagging every token of the whole text as
    tokenize_many does: that per-token pass would make counting a large dataset several times slower, and this
    count only sizes the memory estimate's LM head. It can differ from tokenize_many's by a token where an answer
    starts (a word-start marker, a token merged across the boundary)."""
    answers = [[s.text for s in example.segments if s.trained] for example in rendered]
    encodings = iter(tokenizer.encode_batch([text for texts in answers for text in texts], add_special_tokens=False))
    lengths = []
    for example, texts in zip(rendered, answers, strict=True):
        tokens = sum(len(next(encodings).ids) for _ in texts)
        # The eos is added after the last answer unless it ends with it already (then it was encoded with it).
        lengths.append(tokens + (0 if example.text.endswith(eos_token) else 1))
    return lengths
