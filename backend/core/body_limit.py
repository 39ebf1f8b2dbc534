"""Request bodies held to the upload limit as they arrive: an oversized upload is refused before it is read.

FastAPI spools a multipart body to disk before the route runs, so a check in the route comes after the whole body
was received. This middleware answers 413 at once when Content-Length says too much, and stops reading a body sent
without one (chunked) as soon as it passes the limit. Each file is still held to max_upload_bytes as it is stored,
which names the form field at fault.
"""

from contextlib import suppress

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core.config import get_settings
from backend.core.errors import ErrorBody

MAX_FILES_PER_REQUEST = 3  # a dataset upload: file, validation_file and test_file
FORM_BYTES = 64 * 1024  # the other form fields and the multipart framing


class _TooLarge(Exception):
    """Raised into the app from receive() once the 413 is sent, so nothing reads on."""


def request_limit() -> int:
    return MAX_FILES_PER_REQUEST * get_settings().max_upload_bytes + FORM_BYTES


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"


async def _refuse(limit: int, send: Send) -> None:
    per_file = get_settings().max_upload_bytes
    body = ErrorBody(
        detail=f"the request is larger than the {_size(limit)} an upload may send ({MAX_FILES_PER_REQUEST} files of "
        f"at most {_size(per_file)} each, and the form): send smaller files"
    )
    response = JSONResponse(body.model_dump(), status_code=413, headers={"Connection": "close"})
    await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


class BodySizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = request_limit()  # read per request: tests and operators change the setting
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(limit, send)
            return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await _refuse(limit, send)
                    raise _TooLarge
            return message

        async def send_unless_refused(message: Message) -> None:
            # FastAPI turns an error while parsing a form into a 400 of its own: the 413 already went out.
            if not refused:
                await send(message)

        with suppress(_TooLarge):
            await self.app(scope, limited_receive, send_unless_refused)
