"""The API process: REST under /api, interactive docs at /docs, the built frontend at /."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import text

from backend.base_models.router import router as base_models_router
from backend.base_models.service import sync_catalog
from backend.core.config import get_settings
from backend.core.db import SessionDep, get_sessionmaker
from backend.core.errors import Invalid, error_responses, install_error_handler
from backend.core.storable import reject_unstorable
from backend.datasets.conversion_router import router as conversion_router
from backend.datasets.preview_router import router as preview_router
from backend.datasets.router import router as datasets_router
from backend.hyperparameters.router import router as hyperparameters_router
from backend.presets.router import router as presets_router
from backend.presets.service import sync_builtins
from backend.runs.artifacts_router import router as artifacts_router
from backend.runs.estimate_router import router as estimate_router
from backend.runs.router import router as runs_router
from backend.workers.router import router as workers_router


class Health(BaseModel):
    status: str
    database: str
    version: str


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    with get_sessionmaker()() as session:
        sync_catalog(session)
        sync_builtins(session)
        session.commit()
    yield


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
        workers_router,
    )
    for router in routers:
        app.include_router(router)

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
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        return FileResponse(dist / "index.html")


app = create_app()
