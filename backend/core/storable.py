"""One check on every request for what no column can store: NUL characters and non-finite numbers.

PostgreSQL refuses a NUL (\\u0000) in any text and NaN or Infinity in JSON, and fails the whole statement; SQLite
stores them, and its own JSON functions then call the row malformed. Both are refused here, before any route runs, in
every string of the path, the query, a form and a JSON body (keys included) and every number of a JSON body, with 422
naming where they are.
"""

import json
import math
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

Loc = tuple[str | int, ...]

NUL_MESSAGE = "must not contain NUL characters (\\u0000)"
NON_FINITE_MESSAGE = "must be a finite number, not NaN or Infinity"


def _error(loc: Loc, message: str) -> dict[str, Any]:
    return {"type": "value_error", "loc": loc, "msg": message, "input": None}


def _text_problems(loc: Loc, value: str) -> Iterator[dict[str, Any]]:
    if "\x00" in value:
        yield _error(loc, NUL_MESSAGE)


def _json_problems(loc: Loc, value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, str):
        yield from _text_problems(loc, value)
    elif isinstance(value, float) and not math.isfinite(value):  # NaN, Infinity, and 1e999 too
        yield _error(loc, NON_FINITE_MESSAGE)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _text_problems((*loc, key), key)
            yield from _json_problems((*loc, key), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_problems((*loc, index), item)


async def _body_problems(request: Request) -> Iterator[dict[str, Any]]:
    route = request.scope.get("route")
    # Only a body the route reads (and has already parsed: both are cached), never one it ignores.
    if not isinstance(route, APIRoute) or route.body_field is None:
        return iter(())
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        return (
            problem
            for name, value in form.multi_items()
            if isinstance(value, str)
            for problem in _text_problems(("body", name), value)
        )
    body = await request.body()
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return iter(())  # not JSON: the route's own validation says so
    return _json_problems(("body",), data)


async def reject_unstorable(request: Request) -> None:
    """An app-wide dependency: 422 for a NUL anywhere in the request, or a non-finite number in its JSON body."""
    problems = [
        *(p for name, value in request.path_params.items() for p in _text_problems(("path", name), str(value))),
        *(
            problem
            for name, value in request.query_params.multi_items()
            for problem in (*_text_problems(("query", name), name), *_text_problems(("query", name), value))
        ),
        *(await _body_problems(request)),
    ]
    if problems:
        raise RequestValidationError(problems)
