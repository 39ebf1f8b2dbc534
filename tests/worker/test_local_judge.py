"""A base model of the studio's as the judge, on the tiny model: its replies generated through its chat template,
read like an endpoint's (a random model's babble is not judged, with the reason), with progress and token counts."""

from pathlib import Path

from backend.models import BaseModelEntry, JudgeKind
from tests.worker.test_judge import item, pair
from worker.judge import compare_pairs, grade
from worker.judging_store import JudgeSetup
from worker.tasks import model_judge


def test_the_tiny_model_answers_and_its_babble_is_not_judged(tiny_model: Path) -> None:
    entry = BaseModelEntry(name=str(tiny_model), source="local", location=str(tiny_model))
    ask = model_judge(JudgeSetup(JudgeKind.BASE_MODEL, base_model=entry), max_new_tokens=6)
    progress: list[tuple[int, int]] = []

    results = grade(ask, [item(n) for n in range(1, 4)], on_progress=lambda *p: progress.append(p))

    assert progress == [(1, 3), (2, 3), (3, 3)]
    for result in results:
        assert result.score is None
        assert result.not_judged_reason is not None and result.not_judged_reason.startswith("no score in the reply")
        # The rubric in the chat template: hundreds of tokens in; at most max_new_tokens out (counted on the text,
        # which may be empty: a random model can end at once).
        assert result.prompt_tokens > 100 and result.completion_tokens <= 6

    verdicts = compare_pairs(ask, [pair(), pair()], on_progress=lambda *p: progress.append(p))
    assert progress[-1] == (2, 2)
    assert all(verdict.winner is None for verdict in verdicts)
