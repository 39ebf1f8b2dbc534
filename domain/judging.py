"""What an LLM judge is asked and how its reply is read: the rubrics, their placeholders and the reply parsers.

Pure so that the API can check a rubric someone edits and show the default ones; worker.judge makes the calls.
A rubric is plain text with `{name}` placeholders; only the known names are replaced, so the JSON a rubric asks for
(`{"score": ...}`) needs no escaping, unlike with str.format.
"""

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Literal

from domain.records import AnyRecord, ChatRecord, as_messages, final_question, instruction_and_input

Verdict = Literal["A", "B", "tie"]

SCORE_PLACEHOLDERS = ("instruction", "input", "expected", "response")
PAIRWISE_PLACEHOLDERS = ("instruction", "input", "answer_a", "answer_b")

DEFAULT_RUBRIC = """\
You are grading an answer that a language model wrote for a task.

The task:
{instruction}

The input that came with the task (may be empty):
{input}

A correct answer:
{expected}

The model's answer:
{response}

Give the model's answer a score from 0 to 100: 100 when it is as correct and complete as the correct answer, \
0 when it is wrong or does not address the task. Judge what it says, not how it says it: a correct answer in \
other words is still correct.

Reply with a single JSON object and nothing else: {"score": <integer from 0 to 100>, "explanation": "<one or two \
sentences>"}
"""

PAIRWISE_RUBRIC = """\
You are comparing two answers to the same task.

The task:
{instruction}

The input that came with the task (may be empty):
{input}

Answer A:
{answer_a}

Answer B:
{answer_b}

Which answer serves the task better: which is more correct, more helpful and follows the task more closely? \
The order in which they are shown says nothing about them, and neither does their length by itself. \
Say "tie" when they are equally good or equally bad.

Reply with a single JSON object and nothing else: {"winner": "A" or "B" or "tie", "explanation": "<one or two \
sentences>"}
"""

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The fallbacks for a judge that ignores the JSON request: "Score: 73", "**Score:** 73/100", "Winner: B".
_SCORE_LINE = re.compile(r"\bscore\b[\"'*_\s]*[:=][\"'*_\s]*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_VERDICT_LINE = re.compile(
    r"\b(?:winner|verdict|better)\b[\"'*_\s]*[:=][\"'*_\s]*(answer a|answer b|a|b|tie)\b", re.IGNORECASE
)
_VERDICTS: dict[str, Verdict] = {"a": "A", "answer a": "A", "b": "B", "answer b": "B", "tie": "tie"}


class UnreadableReply(ValueError):
    """The judge answered, but without a usable score or verdict; the message says why."""


def task_and_input(record: AnyRecord) -> tuple[str, str]:
    """What the judge is shown as the task and its input, without a training template's boilerplate: what a person
    wrote (domain.records.instruction_and_input), and for a chat the conversation before its last question as the
    input, without which a follow-up question cannot be judged."""
    if not isinstance(record, ChatRecord):
        return instruction_and_input(record)
    messages = as_messages(record)
    last_answer = max(i for i, m in enumerate(messages) if m.role == "assistant")
    asked = max((i for i, m in enumerate(messages[:last_answer]) if m.role == "user"), default=last_answer)
    context = "\n\n".join(f"{m.role}: {m.content}" for m in messages[:asked])
    return final_question(record), context


def check_rubric(rubric: str, placeholders: tuple[str, ...] = SCORE_PLACEHOLDERS) -> None:
    """Refuses a rubric that would leave out part of what the judge must see."""
    present = set(_PLACEHOLDER.findall(rubric))
    missing = [f"{{{name}}}" for name in placeholders if name not in present]
    if missing:
        needed = ", ".join(f"{{{name}}}" for name in placeholders)
        raise ValueError(f"the rubric lacks the placeholder(s) {', '.join(missing)}; it needs all of {needed}")


def fill(rubric: str, values: Mapping[str, str]) -> str:
    # One pass: a response that itself contains "{expected}" is not filled in again.
    return _PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), rubric)


def parse_score(reply: str) -> tuple[float, str]:
    """(score, explanation) from a JSON reply or a "Score: 73" line; UnreadableReply when there is none from 0 to 100."""
    found = _json_object(reply)
    if found is not None and "score" in found:
        score, explanation = _number(found["score"]), found.get("explanation")
        explanation = explanation if isinstance(explanation, str) else ""
    elif match := _SCORE_LINE.search(reply):
        score, explanation = float(match[1]), _without_line(reply, match)
    else:
        score, explanation = None, ""
    if score is None:
        raise UnreadableReply(f"no score in the reply: {quote(reply)}")
    if not 0 <= score <= 100:
        raise UnreadableReply(f"the score {score:g} is outside 0–100")
    return score, explanation.strip()


def parse_verdict(reply: str) -> tuple[Verdict, str]:
    """(verdict, explanation) from a JSON reply, a "Winner: B" line or a bare "A"/"B"/"tie"."""
    found = _json_object(reply)
    if found is not None and "winner" in found:
        winner, explanation = found["winner"], found.get("explanation")
        verdict = _VERDICTS.get(_bare(winner)) if isinstance(winner, str) else None
        explanation = explanation if isinstance(explanation, str) else ""
    elif match := _VERDICT_LINE.search(reply):
        verdict, explanation = _VERDICTS[match[1].lower()], _without_line(reply, match)
    else:
        verdict, explanation = _VERDICTS.get(_bare(reply)), ""
    if verdict is None:
        raise UnreadableReply(f"no verdict in the reply: {quote(reply)}")
    return verdict, explanation.strip()


def quote(text: str, limit: int = 80) -> str:
    """The start of a reply, on one line, for a reason shown in a table."""
    flat = " ".join(text.split())
    return repr(flat[:limit] + ("…" if len(flat) > limit else ""))


def _json_object(reply: str) -> dict[str, Any] | None:
    # From the first "{" to the last "}": skips a ```json fence or a sentence around the object.
    start, end = reply.find("{"), reply.rfind("}")
    if start == -1 or end < start:
        return None
    try:
        value = json.loads(reply[start : end + 1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool):  # json's true is an int to Python
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None  # json.loads accepts NaN and Infinity


def _bare(text: str) -> str:
    return text.strip().strip("*_\"'`.!").strip().lower()


def _without_line(reply: str, match: re.Match[str]) -> str:
    """The reply less the line the score or verdict was on: what remains is the judge's explanation."""
    start = reply.rfind("\n", 0, match.start()) + 1
    end = reply.find("\n", match.end())
    return reply[:start] + (reply[end:] if end != -1 else "")
