"""From a row's values to a validated Record: which columns hold which fields, and what is wrong with a row."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from backend.datasets.parsing.readers import json_kind, nested_too_deep
from domain.records import AlpacaRecord, AnyRecord, ChatRecord, Message, PromptCompletionRecord
from domain.text import json_error

Shape = Literal["alpaca", "prompt_completion", "chat"]
ROLES = get_args(Message.model_fields["role"].annotation)
MAX_LABEL_CHARS = 200  # the label column's width

# Required fields first; the order is also the order of detection when several shapes' columns are present.
SHAPE_FIELDS: dict[Shape, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "chat": (("messages",), ()),
    "alpaca": (("instruction", "output"), ("input",)),
    "prompt_completion": (("prompt", "completion"), ()),
}
FIELD_NAMES: dict[Shape, tuple[str, ...]] = {
    shape: (*required, *optional) for shape, (required, optional) in SHAPE_FIELDS.items()
}
FIELD_SHAPES: dict[str, Shape] = {
    name: shape for shape, (required, optional) in SHAPE_FIELDS.items() for name in (*required, *optional)
}


class MappingError(ValueError):
    """The file's columns do not say where the fields are; the user must map them."""

    def __init__(self, detail: str, columns: Sequence[str]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.columns = list(columns)


class RowError(ValueError):
    pass


@dataclass(frozen=True)
class FieldMap:
    shape: Shape
    columns: dict[str, str]  # field → the file's column (or JSON key) it is read from
    label: str | None = None  # the column holding the class, for statistics
    mapped: dict[str, str] | None = field(default=None)  # what to store as the dataset's column_mapping


def _column_names(columns: Sequence[str]) -> dict[str, str]:
    """Case- and space-insensitive lookup: a spreadsheet's "Instruction " header is the instruction."""
    names: dict[str, str] = {}
    for column in columns:
        names.setdefault(column.strip().lower(), column)
    return names


def detect_shape(columns: Sequence[str]) -> Shape | None:
    names = _column_names(columns)
    for shape, (required, _optional) in SHAPE_FIELDS.items():
        if all(name in names for name in required):
            return shape
    return None


def resolve_fields(
    columns: Sequence[str], shape: Shape | Literal["auto"], mapping: Mapping[str, str] | None
) -> FieldMap:
    """Which column holds each field: the user's mapping first, then columns named like the field.

    `mapping` is field → column and has been checked to name fields of one shape (schemas.ColumnMapping).
    """
    given = dict(mapping or {})
    label = given.pop("label", None)
    for name, column in [*given.items(), *([("label", label)] if label else [])]:
        if column not in columns:
            raise MappingError(f"column_mapping maps '{name}' to '{column}', but the file has no such column", columns)
    mapped_shapes = {FIELD_SHAPES[name] for name in given}
    mapped_shape = next(iter(mapped_shapes)) if mapped_shapes else None
    if shape == "auto":
        resolved = mapped_shape or detect_shape(columns)
        if resolved is None:
            raise MappingError(
                "can't tell which columns hold the instruction and the answer: map them with column_mapping "
                "(instruction/input/output, prompt/completion or messages)",
                columns,
            )
    else:
        if mapped_shape is not None and mapped_shape != shape:
            raise MappingError(f"column_mapping names fields of shape '{mapped_shape}' but shape is '{shape}'", columns)
        resolved = shape
    names = _column_names(columns)
    required, optional = SHAPE_FIELDS[resolved]
    fields: dict[str, str] = {}
    for name in (*required, *optional):
        found = given.get(name) or names.get(name)
        if found is not None:
            fields[name] = found
    missing = [name for name in required if name not in fields]
    if missing:
        raise MappingError(
            f"shape '{resolved}' needs a column for '{missing[0]}': map one with column_mapping, "
            f'e.g. {{"{missing[0]}": "<column>"}}',
            columns,
        )
    if label is None and "label" in names:
        label = names["label"]  # a column called label is used for class statistics without being asked
    stored = {**fields, **({"label": label} if label else {})} if mapping else None
    return FieldMap(resolved, fields, label, stored)


def _describe(name: str, column: str) -> str:
    return f"'{name}'" if name == column else f"'{column}' (the {name})"


def _text(values: Mapping[str, Any], name: str, column: str, required: bool) -> str:
    if column not in values:
        if required:
            raise RowError(f"missing {_describe(name, column)}")
        return ""
    value = values[column]
    if value is None:
        value = ""
    elif isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # 4 as an answer is "4"; spreadsheets and Parquet type numeric columns
    elif not isinstance(value, str):
        raise RowError(f"{_describe(name, column)} must be a string, got {json_kind(value)}")
    if required and not value.strip():
        raise RowError(f"empty {_describe(name, column)}")
    _check_storable(value, _describe(name, column))
    return value


def _check_storable(text: str, what: str) -> None:
    """JSON escapes can smuggle in what no database text column stores: NUL, and halves of surrogate pairs."""
    if "\x00" in text:
        raise RowError(f"{what} contains a NUL character (\\u0000)")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RowError(f"{what} contains an unpaired surrogate (\\u{ord(text[exc.start]):04x})") from exc


def _messages(value: object, column: str, max_depth: int) -> tuple[Message, ...]:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RowError(f"empty '{column}'")
    if isinstance(value, str) and value.lstrip().startswith("["):  # a CSV cell holding the JSON list
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RowError(f"'{column}' is not valid JSON ({json_error(exc.msg, exc.colno)})") from exc
        except RecursionError as exc:
            raise RowError(f"'{column}' is nested more than {max_depth} levels deep") from exc
        if nested_too_deep(value, max_depth):
            raise RowError(f"'{column}' is nested more than {max_depth} levels deep")
    if not isinstance(value, list):
        raise RowError(f"'{column}' must be a list of {{role, content}} objects, got {json_kind(value)}")
    if not value:
        raise RowError(f"'{column}' is empty")
    messages = []
    for index, item in enumerate(value):
        at = f"{column}[{index}]"
        if not isinstance(item, dict):
            raise RowError(f"{at} must be an object with role and content, got {json_kind(item)}")
        role = item.get("role")
        if role not in ROLES:
            got = "it is missing" if role is None else f"got {json.dumps(role, default=str)}"
            raise RowError(f"{at}.role must be one of {'/'.join(ROLES)} ({got})")
        content = item.get("content")
        if content is None:
            raise RowError(f"{at}.content is missing")
        if not isinstance(content, str):
            raise RowError(f"{at}.content must be a string, got {json_kind(content)}")
        if not content.strip() and role != "system":
            raise RowError(f"empty {'response' if role == 'assistant' else 'user turn'} in {at}.content")
        _check_storable(content, f"{at}.content")
        messages.append(Message(role=role, content=content))
    if not any(message.role == "assistant" for message in messages):
        raise RowError("no assistant turn: a chat needs at least one 'assistant' message to train on")
    if messages[-1].role != "assistant":
        raise RowError(
            f"the last message ({column}[{len(messages) - 1}]) is from the {messages[-1].role}, not the assistant: "
            "nothing after it would be trained on"
        )
    return tuple(messages)


def to_record(values: Mapping[str, Any], fields: FieldMap, max_depth: int) -> tuple[AnyRecord, str | None]:
    """The row as a validated record and its label, or RowError naming the field."""
    columns = fields.columns
    record: AnyRecord
    if fields.shape == "chat":
        column = columns["messages"]
        if column not in values:
            raise RowError(f"missing {_describe('messages', column)}")
        record = ChatRecord(messages=_messages(values[column], column, max_depth))
    elif fields.shape == "alpaca":
        record = AlpacaRecord(
            instruction=_text(values, "instruction", columns["instruction"], True),
            input=_text(values, "input", columns["input"], False) if "input" in columns else "",
            output=_text(values, "output", columns["output"], True),
        )
    else:
        record = PromptCompletionRecord(
            prompt=_text(values, "prompt", columns["prompt"], True),
            completion=_text(values, "completion", columns["completion"], True),
        )
    label = None
    if fields.label is not None:
        raw = values.get(fields.label)
        label = str(raw).strip()[:MAX_LABEL_CHARS] if raw is not None and not isinstance(raw, dict | list) else None
        if label and (not label.isascii() or "\x00" in label):  # statistics only: drop what can't be stored
            label = label.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    return record, label or None
