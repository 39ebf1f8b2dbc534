"""A finished run's two automatic evaluations: its fine-tuned model's and its base model's answers to the test split,
scored, written in the transaction that finishes the run."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from backend.models import AnswerSource, Evaluation, EvaluationPrediction, Run, RunStatus, Split, utcnow
from domain.scoring.answers import score_answers


@dataclass(frozen=True)
class Answers:
    example_ids: list[int]
    prompts: list[str]
    expected: list[str]
    tuned: list[str]
    base: list[str]


def record_automatic(session: Session, run: Run, answers: Answers, fingerprint: str | None) -> None:
    # Greedy, as the run generated its test answers (worker.training.generate).
    decoding = {"strategy": "greedy", "max_new_tokens": run.config.get("max_new_tokens")}
    for source, generated in ((AnswerSource.FINE_TUNED, answers.tuned), (AnswerSource.BASE, answers.base)):
        scored = score_answers(generated, answers.expected, seed=run.id)
        evaluation = Evaluation(
            owner_id=run.owner_id,
            run_id=run.id,
            model=source,
            checkpoint_step=None,
            dataset_id=run.dataset_id,
            split=Split.TEST,
            template=run.config.get("template", ""),
            decoding=decoding,
            base_model_fingerprint=fingerprint,
            status=RunStatus.SUCCEEDED,
            done=len(generated),
            total=len(generated),
            metrics=scored.metrics,
            finished_at=utcnow(),
        )
        session.add(evaluation)
        session.flush()
        rows: list[dict[str, Any]] = [
            {
                "evaluation_id": evaluation.id,
                "example_id": example_id,
                "prompt": prompt,
                "expected": expected,
                "generated": text,
                "scores": scores,
            }
            for example_id, prompt, expected, text, scores in zip(
                answers.example_ids, answers.prompts, answers.expected, generated, scored.per_example, strict=True
            )
        ]
        if rows:
            session.execute(insert(EvaluationPrediction), rows)
