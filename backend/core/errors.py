"""Service errors carry their HTTP status; one handler renders them all."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class ErrorBody(BaseModel):
    detail: str
    field: str | None = None
    errors: list[str] = []


class StudioError(Exception):
    status_code = 400

    def __init__(self, detail: str, *, field: str | None = None, errors: list[str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.errors = errors or []


class NotFound(StudioError):
    status_code = 404


class Conflict(StudioError):
    status_code = 409


class Invalid(StudioError):
    status_code = 422


class TooLarge(StudioError):
    status_code = 413


def install_error_handler(app: FastAPI) -> None:
    @app.exception_handler(StudioError)
    async def _render(_request: Request, exc: StudioError) -> JSONResponse:
        body = ErrorBody(detail=exc.detail, field=exc.field, errors=exc.errors)
        return JSONResponse(status_code=exc.status_code, content=body.model_dump())


def error_responses(*errors: type[StudioError]) -> dict[int | str, dict[str, object]]:
    """For `responses=` on routes, so the OpenAPI schema lists what a route can answer."""
    return {error.status_code: {"model": ErrorBody} for error in errors}
