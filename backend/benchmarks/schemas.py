from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class BenchmarkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    format: str = Field(description="The uploaded file's format: jsonl, json, csv, tsv or parquet.")
    num_questions: int
    subjects: dict[str, int] = Field(description="Questions per subject, by subject; empty when none has one.")
    created_at: datetime


class QuestionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: int = Field(description="Its position in the benchmark, from 1.")
    row_number: int = Field(description="Its line (JSONL) or row (tables, header excluded) in the uploaded file.")
    subject: str | None
    question: str
    choices: list[str] = Field(description="Choice i is called by the letter A + i.")
    answer: int = Field(description="The right choice's index, from 0.")
