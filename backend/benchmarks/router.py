from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status

from backend.auth.dependencies import CreatorUser, CurrentUser
from backend.benchmarks import service
from backend.benchmarks.schemas import BenchmarkOut, QuestionOut
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, TooLarge, error_responses
from backend.core.params import Id, Position
from backend.core.schemas import Page
from backend.models import Benchmark

router = APIRouter(prefix="/api/benchmarks", tags=["benchmarks"])


def load_benchmark(session: SessionDep, user: CurrentUser, benchmark_id: Id) -> Benchmark:
    return service.get_benchmark(session, benchmark_id, user)


BenchmarkDep = Annotated[Benchmark, Depends(load_benchmark)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=BenchmarkOut,
    operation_id="uploadBenchmark",
    responses=error_responses(Invalid, TooLarge),
)
def upload_benchmark(
    session: SessionDep,
    user: CreatorUser,
    file: Annotated[
        UploadFile,
        File(
            description="JSONL (or a JSON array, or Parquet) of {question, choices: [...], answer: an index from 0 or "
            "a letter, subject?}; or MMLU's CSV/TSV layout: question, the choices, the answer letter and optionally "
            "a subject, with or without a header row (a header names question, A, B, ..., answer, subject). 2-26 "
            "choices per question."
        ),
    ],
    name: Annotated[str | None, Form(max_length=200, description="Default: the file name.")] = None,
) -> Benchmark:
    """A multiple-choice set to score runs on (POST /api/evaluations with benchmark_id). Every line is checked first:
    one bad line rejects the file, each problem listed with its line and field, and nothing is stored."""
    return service.create_benchmark(session, user, file.filename or "", file.file, name)


@router.get("", response_model=Page[BenchmarkOut], operation_id="listBenchmarks")
def list_benchmarks(session: SessionDep, user: CurrentUser) -> Page[BenchmarkOut]:
    benchmarks = service.list_benchmarks(session, user)
    return Page(items=[BenchmarkOut.model_validate(b) for b in benchmarks], total=len(benchmarks))


@router.get(
    "/{benchmark_id}", response_model=BenchmarkOut, operation_id="getBenchmark", responses=error_responses(NotFound)
)
def get_benchmark(benchmark: BenchmarkDep) -> Benchmark:
    return benchmark


@router.get(
    "/{benchmark_id}/questions",
    response_model=Page[QuestionOut],
    operation_id="listBenchmarkQuestions",
    responses=error_responses(NotFound),
)
def list_questions(
    session: SessionDep,
    benchmark: BenchmarkDep,
    subject: Annotated[str | None, Query(max_length=200, description="Only this subject's questions.")] = None,
    offset: Position = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[QuestionOut]:
    rows, total = service.list_questions(session, benchmark, subject=subject, offset=offset, limit=limit)
    return Page(items=[QuestionOut.model_validate(row) for row in rows], total=total)


@router.delete(
    "/{benchmark_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteBenchmark",
    responses=error_responses(NotFound, Conflict),
)
def delete_benchmark(session: SessionDep, benchmark: BenchmarkDep) -> None:
    """Deletes the benchmark with its questions and its evaluations (their scores mean nothing without it); refused
    with 409 while one of its evaluations is queued or running."""
    service.delete_benchmark(session, benchmark)
