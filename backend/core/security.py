"""Request checks and response headers for every route: same-origin writes and a strict set of security headers."""

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core.errors import ErrorBody

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The built UI loads only its own bundled scripts and styles; no inline script is allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# FastAPI's /docs page loads Swagger UI from a CDN with an inline bootstrap script: allowed there and nowhere else.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CROSS_ORIGIN = "Cross-site request refused: changes to the studio must come from its own pages."


class SecurityMiddleware:
    """Refuses requests for a host the studio is not (DNS rebinding) and state-changing requests from other sites
    (CSRF), and adds security headers to every response."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = DOCS_CONTENT_SECURITY_POLICY if path in {"/docs", "/redoc"} else CONTENT_SECURITY_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["Content-Security-Policy"] = policy
                for name, value in SECURITY_HEADERS.items():
                    response_headers[name] = value
            await send(message)

        headers = Headers(scope=scope)
        if not _host_allowed(headers.get("host", ""), self.allowed_hosts):
            detail = "Unknown host: add the name this studio is reached by to STUDIO_ALLOWED_HOSTS."
            await _refuse(send_with_headers, 400, detail, "host")
            return
        if scope["method"] not in SAFE_METHODS and _cross_site(headers):
            await _refuse(send_with_headers, 403, CROSS_ORIGIN, None)
            return
        await self.app(scope, receive, send_with_headers)


def _cross_site(headers: Headers) -> bool:
    # Browsers send Sec-Fetch-Site on every request; "none" is the user's own typing, not another page.
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser (curl, scripts): they carry a token, which another site cannot read
    # The host alone: behind a TLS proxy the API sees http while the page's origin says https.
    return urlsplit(origin).netloc != headers.get("host", "")


def _host_allowed(host_header: str, allowed: list[str]) -> bool:
    host = urlsplit(f"//{host_header}").hostname or ""
    return any(
        pattern == "*" or host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
        for pattern in allowed
    )


async def _refuse(send: Send, status: int, detail: str, field: str | None) -> None:
    body = ErrorBody(detail=detail, field=field).model_dump_json().encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
