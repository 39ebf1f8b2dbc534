"""A run's checkpoints, and its final weights as zip downloads."""

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from backend.core.db import SessionDep
from backend.core.errors import Conflict, NotFound, error_responses
from backend.core.schemas import Page
from backend.core.storage import StorageDep
from backend.core.zipstream import zip_directory
from backend.runs import artifacts
from backend.runs.dependencies import RunDep
from backend.runs.schemas import ArtifactName, CheckpointOut

router = APIRouter(prefix="/api/runs", tags=["runs"])


@router.get(
    "/{run_id}/checkpoints",
    response_model=Page[CheckpointOut],
    operation_id="listRunCheckpoints",
    responses=error_responses(NotFound),
)
def list_checkpoints(session: SessionDep, storage: StorageDep, run: RunDep) -> Page[CheckpointOut]:
    checkpoints = artifacts.list_checkpoints(session, storage, run)
    return Page(items=checkpoints, total=len(checkpoints))


@router.get(
    "/{run_id}/artifacts/{name}.zip",
    operation_id="downloadRunArtifact",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
        **error_responses(NotFound, Conflict),
    },
)
def download_artifact(session: SessionDep, storage: StorageDep, run: RunDep, name: ArtifactName) -> StreamingResponse:
    """The LoRA adapter (adapter.zip), the whole model of method full (model.zip) or the merged model (merged.zip),
    with its tokenizer, in a folder named like the file."""
    directory = artifacts.artifact_dir(session, storage, run, name)
    stem = f"run-{run.id}-{name}"
    return StreamingResponse(
        zip_directory(directory, stem),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{stem}.zip"'},
    )
