"""Service errors carry their HTTP status; one handler renders them all."""

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

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
    # What `body` is: a subclass whose body carries more (the runs using a dataset, say) names its model here, so
    # error_responses documents it.
    body_model: type[ErrorBody] = ErrorBody

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
        return JSONResponse(status_code=exc.status_code, content=exc.body.model_dump(mode="json"), headers=exc.headers)

    @app.exception_handler(InvalidConfig)
    async def _render_config(request: Request, exc: InvalidConfig) -> JSONResponse:
        return await _render(request, Invalid(exc.errors[0], field=exc.field, errors=exc.errors))

    @app.exception_handler(RequestValidationError)
    async def _render_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return await _render(request, invalid_request(exc.errors()))

    @app.exception_handler(HTTPException)
    async def _render_http(request: Request, exc: HTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI answers 400 to a JSON body it cannot decode, and 422 to every other malformed one: one status
            # for all of them, so the schema documents one.
            message = "body: not UTF-8 text; send JSON encoded as UTF-8"
            return await _render(request, Invalid(message, field="body", errors=[message]))
        # The framework's own answers (no such path, method not allowed) in the same shape as every other error.
        return JSONResponse(
            status_code=exc.status_code, content=ErrorBody(detail=str(exc.detail)).model_dump(), headers=exc.headers
        )


def invalid_request(errors: Sequence[Any]) -> Invalid:
    """Pydantic's errors about a request as one Invalid: the first in `detail`, each one in `errors`."""
    messages, fields = [], []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            field, message = "body", f"not valid JSON ({error.get('ctx', {}).get('error', error['msg'])})"
        else:
            # Body fields are named as the client sent them (hyperparameters.lora_r); parameters by where they go
            # (query.after_id, path.run_id).
            parts = loc[1:] if loc[:1] == ("body",) else loc
            field, message = ".".join(str(part) for part in parts) or "body", error["msg"]
        fields.append(field)
        messages.append(f"{field}: {message}")
    return Invalid(messages[0], field=fields[0], errors=messages)


def error_responses(*errors: type[StudioError]) -> dict[int | str, dict[str, object]]:
    """For `responses=` on routes, so the OpenAPI schema lists what a route can answer, with each error's body."""
    return {error.status_code: {"model": error.body_model} for error in errors}
