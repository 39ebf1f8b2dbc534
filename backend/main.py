"""The API process: REST under /api, interactive docs at /docs, the built frontend at /."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.auth.dependencies import current_user
from backend.auth.router import router as auth_router
from backend.auth.router import tokens_router
from backend.auth.service import account_exists, bootstrap_admin
from backend.base_models.router import router as base_models_router
from backend.base_models.service import sync_catalog
from backend.benchmarks.router import router as benchmarks_router
from backend.comparisons.router import router as comparisons_router
from backend.core.body_limit import BodySizeLimit
from backend.core.config import get_settings
from backend.core.db import SessionDep, get_sessionmaker
from backend.core.errors import Forbidden, Invalid, Unauthorized, error_responses, install_error_handler
from backend.core.security import SecurityMiddleware
from backend.core.storable import reject_unstorable
from backend.datasets.conversion_router import router as conversion_router
from backend.datasets.preview_router import router as preview_router
from backend.datasets.router import router as datasets_router
from backend.evaluations.router import router as evaluations_router
from backend.hyperparameters.router import router as hyperparameters_router
from backend.judges.router import router as judges_router
from backend.judgings.router import router as judgings_router
from backend.presets.router import router as presets_router
from backend.presets.service import sync_builtins
from backend.reviews.router import router as reviews_router
from backend.runs.artifacts_router import router as artifacts_router
from backend.runs.estimate_router import router as estimate_router
from backend.runs.events import RunFeeds
from backend.runs.queue_router import router as queue_router
from backend.runs.router import router as runs_router
from backend.users.router import router as users_router
from backend.webhooks.router import router as webhooks_router
from backend.workers.router import router as workers_router


class Health(BaseModel):
    status: str
    database: str
    version: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    with get_sessionmaker()() as session:
        sync_catalog(session)
        sync_builtins(session)
        bootstrap_admin(session)
        session.commit()
        _refuse_open_network(account_exists(session))
    # Made here, on the loop that serves the requests: its Redis connections belong to that loop.
    app.state.run_feeds = RunFeeds(get_settings().redis_url)
    yield
    await app.state.run_feeds.aclose()


class UnsafeBinding(RuntimeError):
    pass


def _refuse_open_network(has_admin: bool) -> None:
    """On a network address, an admin and a real secret key are required: never a default password or key."""
    settings = get_settings()
    if settings.loopback:
        return
    missing = []
    if not has_admin:
        missing.append("an admin (set STUDIO_ADMIN_EMAIL and STUDIO_ADMIN_PASSWORD)")
    if not settings.secret_key.get_secret_value():
        missing.append("a secret key (set STUDIO_SECRET_KEY, e.g. to the output of `openssl rand -hex 32`)")
    if missing:
        raise UnsafeBinding(f"Refusing to serve on {settings.host}: it needs " + " and ".join(missing) + ".")


def create_app() -> FastAPI:
    app = FastAPI(
        title="Fine-tuning Studio",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(reject_unstorable)],
        # Any request may be refused with 422 (a NUL in its query, a malformed parameter or body), always as an
        # ErrorBody: declared on every operation, FastAPI's own HTTPValidationError never appears in the schema.
        responses=error_responses(Invalid),
    )
    install_error_handler(app)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityMiddleware, allowed_hosts=get_settings().allowed_host_list)
    # conversion_router first: its fixed paths (/api/datasets/convert) must win over /api/datasets/{id}.
    routers = (
        conversion_router,
        datasets_router,
        preview_router,
        base_models_router,
        presets_router,
        hyperparameters_router,
        estimate_router,
        runs_router,
        artifacts_router,
        webhooks_router,
        evaluations_router,
        reviews_router,
        comparisons_router,
        judges_router,
        judgings_router,
        benchmarks_router,
        workers_router,
        queue_router,
    )
    # Every resource route needs a signed-in user; the routers' own checks narrow it (ownership, roles).
    signed_in = [Depends(current_user)]
    for router in routers:
        app.include_router(router, dependencies=signed_in, responses=error_responses(Unauthorized, Forbidden))
    app.include_router(auth_router)
    app.include_router(tokens_router, responses=error_responses(Unauthorized))
    app.include_router(users_router, responses=error_responses(Unauthorized, Forbidden))

    @app.get("/api/health", response_model=Health, operation_id="getHealth", tags=["system"])
    def health(session: SessionDep) -> Health:
        session.execute(text("SELECT 1"))
        return Health(status="ok", database=session.get_bind().dialect.name, version=app.version)

    _serve_frontend(app)
    return app


def _serve_frontend(app: FastAPI) -> None:
    dist = get_settings().frontend_dist
    if not (dist / "index.html").is_file():
        return
    app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:
        # Client-side routes (/runs/3) all load the same page; real files in dist are served as they are.
        # An unknown API path is a 404 in the error shape, not the page.
        if path == "api" or path.startswith("api/"):
            raise StarletteHTTPException(status_code=404)
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        return FileResponse(dist / "index.html")


app = create_app()
