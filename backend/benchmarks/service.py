"""Benchmarks: multiple-choice sets uploaded, listed, read question by question and deleted.

An upload is checked whole before anything is stored: every question is parsed (held in memory, which the size
limit bounds), and one bad line rejects the file with every problem listed, so a benchmark is never partial.
"""

import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see, owned_by
from backend.benchmarks.parsing import ParsedQuestion, parsed_questions
from backend.core.config import get_settings
from backend.core.errors import Conflict, Invalid, NotFound, TooLarge
from backend.datasets.parsing import FileRejected, Limits, open_table
from backend.datasets.service import file_error
from backend.models import Benchmark, BenchmarkQuestion, Evaluation, RunStatus, User
from domain.text import plural

CHUNK_BYTES = 1024 * 1024
INSERT_BATCH_ROWS = 2000
MAX_REPORTED_ERRORS = 20
ACCEPTED = (
    "JSONL with question, choices and answer (an index from 0 or a letter) and optionally subject, or MMLU's CSV "
    "layout: question, the choices, the answer letter and optionally a subject, with or without a header"
)


def create_benchmark(session: Session, user: User, filename: str, content: BinaryIO, name: str | None) -> Benchmark:
    """Store every question of the file, or raise Invalid/TooLarge having stored nothing."""
    settings = get_settings()
    limits = Limits(max_line_bytes=settings.max_line_bytes, max_decoded_bytes=4 * settings.max_benchmark_bytes)
    with tempfile.TemporaryDirectory(prefix="benchmark-") as folder:
        path = Path(folder) / "upload"
        _copy(content, path, settings.max_benchmark_bytes)
        try:
            table = open_table(path, filename, limits)
            questions, problems, bad = _read(parsed_questions(table), settings.max_benchmark_questions)
        except FileRejected as exc:
            raise file_error(exc, "file") from exc
    if bad:
        more = f" (the first {len(problems)} are listed)" if bad > len(problems) else ""
        raise Invalid(
            f"{plural(bad, 'question')} in the file cannot be used{more}: fix them and upload again; "
            "nothing was stored",
            field="file",
            errors=problems,
            bad_rows=bad,
            usable_rows=len(questions),
        )
    if not questions:
        raise Invalid(f"the file has no questions: upload {ACCEPTED}", field="file")
    subjects = Counter(q.subject for q in questions if q.subject is not None)
    benchmark = Benchmark(
        owner_id=user.id,
        name=(name or filename or "benchmark")[:200],
        format=table.format,
        num_questions=len(questions),
        subjects=dict(sorted(subjects.items())),
    )
    session.add(benchmark)
    session.flush()
    rows = [
        {
            "benchmark_id": benchmark.id,
            "number": number,
            "row_number": q.row_number,
            "subject": q.subject,
            "question": q.question,
            "choices": q.choices,
            "answer": q.answer,
        }
        for number, q in enumerate(questions, start=1)
    ]
    for start in range(0, len(rows), INSERT_BATCH_ROWS):
        session.execute(insert(BenchmarkQuestion), rows[start : start + INSERT_BATCH_ROWS])
    return benchmark


def _copy(content: BinaryIO, path: Path, limit: int) -> None:
    total = 0
    with path.open("wb") as out:
        while chunk := content.read(CHUNK_BYTES):
            total += len(chunk)
            if total > limit:
                raise TooLarge(
                    f"the file is larger than the {limit // (1024 * 1024)} MB a benchmark may have: split it",
                    field="file",
                )
            out.write(chunk)


def _read(rows: Iterable[ParsedQuestion | str], max_questions: int) -> tuple[list[ParsedQuestion], list[str], int]:
    """The good questions, the first problems, and how many questions had one."""
    questions: list[ParsedQuestion] = []
    problems: list[str] = []
    bad = 0
    for row in rows:
        if isinstance(row, str):
            bad += 1
            if len(problems) < MAX_REPORTED_ERRORS:
                problems.append(row)
            continue
        questions.append(row)
        if len(questions) > max_questions:
            raise Invalid(
                f"the file has more than {max_questions:,} questions, the most a benchmark may hold: split it",
                field="file",
            )
    return questions, problems, bad


def list_benchmarks(session: Session, user: User) -> list[Benchmark]:
    query = select(Benchmark).where(owned_by(user, Benchmark.owner_id)).order_by(Benchmark.id.desc())
    return list(session.scalars(query))


def get_benchmark(session: Session, benchmark_id: int, user: User) -> Benchmark:
    benchmark = session.get(Benchmark, benchmark_id)
    if benchmark is None or not can_see(user, benchmark.owner_id):
        raise NotFound(f"benchmark {benchmark_id} not found")
    return benchmark


def list_questions(
    session: Session, benchmark: Benchmark, *, subject: str | None, offset: int, limit: int
) -> tuple[list[BenchmarkQuestion], int]:
    where = [BenchmarkQuestion.benchmark_id == benchmark.id]
    if subject is not None:
        where.append(BenchmarkQuestion.subject == subject)
    total = session.scalar(select(func.count()).where(*where)) or 0
    rows = session.scalars(
        select(BenchmarkQuestion).where(*where).order_by(BenchmarkQuestion.number).offset(offset).limit(limit)
    )
    return list(rows), total


def delete_benchmark(session: Session, benchmark: Benchmark) -> None:
    """The benchmark, its questions and its finished evaluations; refused while a worker answers one of them."""
    unfinished = session.scalar(
        select(func.count()).where(
            Evaluation.benchmark_id == benchmark.id, Evaluation.status.in_([RunStatus.QUEUED, RunStatus.RUNNING])
        )
    )
    if unfinished:
        raise Conflict(
            f"benchmark {benchmark.id} is being evaluated ({plural(unfinished, 'evaluation')} queued or running): "
            "cancel them or wait until they finish, then delete it"
        )
    # The foreign keys' ON DELETE CASCADE removes its questions, its evaluations and their answers.
    session.delete(benchmark)
