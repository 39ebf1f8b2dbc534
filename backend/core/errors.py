"""Service errors carry their HTTP status; one handler renders them all."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from domain.config import InvalidConfig


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong and what to do, in one sentence.")
    field: str | None = Field(None, description="The request field at fault, e.g. 'file' or 'hyperparameters.lora_r'.")
    errors: list[str] = Field([], description="Every problem found, each with its line/row and field.")
    bad_rows: int | None = Field(None, description="Upload: rows with a problem (all of them, not only those listed).")
    usable_rows: int | None = Field(
        None, description="Upload: rows that are fine; resend with drop_invalid to keep them."
    )
    columns: list[str] | None = Field(None, description="Upload: the file's columns, when a column mapping is needed.")


class StudioError(Exception):
    status_code = 400
    headers: dict[str, str] = {}

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[str] | None = None,
        bad_rows: int | None = None,
        usable_rows: int | None = None,
        columns: list[str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.body = ErrorBody(
            detail=detail, field=field, errors=errors or [], bad_rows=bad_rows, usable_rows=usable_rows, columns=columns
        )


class Unauthorized(StudioError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(StudioError):
    status_code = 403


class NotFound(StudioError):
    status_code = 404


class Conflict(StudioError):
    status_code = 409


class Invalid(StudioError):
    status_code = 422


class TooLarge(StudioError):
    status_code = 413


class TooManyRequests(StudioError):
    status_code = 429


class Unavailable(StudioError):
    """Something outside the request failed (a worker, the database): asking again may work."""

    status_code = 503


def install_error_handler(app: FastAPI) -> None:
    @app.exception_handler(StudioError)
    async def _render(_request: Request, exc: StudioError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content=exc.body.model_dump(), headers=exc.headers)

    @app.exception_handler(InvalidConfig)
    async def _render_config(request: Request, exc: InvalidConfig) -> JSONResponse:
        return await _render(request, Invalid(exc.errors[0], field=exc.field, errors=exc.errors))


def error_responses(*errors: type[StudioError]) -> dict[int | str, dict[str, object]]:
    """For `responses=` on routes, so the OpenAPI schema lists what a route can answer."""
    return {error.status_code: {"model": ErrorBody} for error in errors}
