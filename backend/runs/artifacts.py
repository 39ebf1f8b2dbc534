"""A run's checkpoints and final weights: what is on disk, and which directory a download is read from.

The worker records every checkpoint it saves, and the final weights (adapter/ or model/) as the run's is_final
checkpoint; a merged model sits beside them in merged/ (domain.artifacts). The trainer deletes old checkpoints
itself, so the disk, not the table, says what is still there.
"""

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.errors import Conflict, NotFound
from backend.core.storage import Storage
from backend.models import Checkpoint, Run, RunStatus
from backend.runs.listing import tags_of
from backend.runs.schemas import ArtifactName, ArtifactOut, CheckpointOut, RunOut
from domain.artifacts import MERGED_DIR

NOUNS: dict[ArtifactName, str] = {"adapter": "adapter", "model": "fine-tuned model", "merged": "merged model"}
TRAINED: dict[ArtifactName, str] = {
    "adapter": "it trained a LoRA adapter",
    "model": "method full trained the whole model",
}


def directory_size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def list_checkpoints(session: Session, storage: Storage, run: Run) -> list[CheckpointOut]:
    """Every checkpoint by step, the final weights after the checkpoint of the same step."""
    rows = session.scalars(
        select(Checkpoint).where(Checkpoint.run_id == run.id).order_by(Checkpoint.step, Checkpoint.is_final)
    ).all()
    evaluated = [row for row in rows if row.eval_loss is not None]
    # On a tie the final weights are the best: they are what a download hands out.
    best = min(evaluated, key=lambda row: (row.eval_loss, row.step, not row.is_final), default=None)
    checkpoints = []
    for row in rows:
        directory = storage.local_path(row.storage_key)
        on_disk = directory.is_dir()
        checkpoints.append(
            CheckpointOut(
                id=row.id,
                step=row.step,
                eval_loss=row.eval_loss,
                is_best=row is best,
                is_final=row.is_final,
                on_disk=on_disk,
                size_bytes=directory_size(directory) if on_disk else None,
                created_at=row.created_at,
            )
        )
    return checkpoints


def describe_runs(session: Session, storage: Storage, runs: Sequence[Run]) -> list[RunOut]:
    """The runs as the API shows them, each with the artifacts it can be downloaded as."""
    finals = session.scalars(
        select(Checkpoint).where(Checkpoint.run_id.in_([run.id for run in runs]), Checkpoint.is_final.is_(True))
    ).all()
    final_by_run = {final.run_id: final for final in finals}
    tags = tags_of(session, [run.id for run in runs])
    described = []
    for run in runs:
        final = final_by_run.get(run.id)
        artifacts = []
        if final is not None:
            weights = storage.local_path(final.storage_key)
            for name, directory in ((_weights_name(final), weights), ("merged", weights.parent / MERGED_DIR)):
                if directory.is_dir():
                    url = f"/api/runs/{run.id}/artifacts/{name}.zip"
                    artifacts.append(ArtifactOut(name=name, size_bytes=directory_size(directory), url=url))
        described.append(RunOut.model_validate(run).model_copy(update={"artifacts": artifacts, "tags": tags[run.id]}))
    return described


def artifact_dir(session: Session, storage: Storage, run: Run, name: ArtifactName) -> Path:
    """The directory to send as `name`.zip. Conflict when the run has no such artifact in its state or
    configuration, NotFound when it had one but its files are gone."""
    noun = NOUNS[name]
    final = session.scalar(select(Checkpoint).where(Checkpoint.run_id == run.id, Checkpoint.is_final.is_(True)))
    if final is None:
        raise Conflict(_no_weights_because(run, noun))
    weights = storage.local_path(final.storage_key)
    saved = _weights_name(final)
    if name == "merged" and saved == "adapter":
        directory = weights.parent / MERGED_DIR
        if directory.is_dir():
            return directory
        if not run.config.get("merge_adapter"):
            raise Conflict(f"Run {run.id} has no merged model: it ran with merge_adapter off")
        raise NotFound(f"Run {run.id} has no merged model on disk: the merge failed (see its events) or was deleted")
    if name != saved:
        raise Conflict(f"Run {run.id} has no {noun}: {TRAINED[saved]}, download {saved}.zip")
    if not weights.is_dir():
        raise NotFound(f"The {noun} of run {run.id} is no longer on disk")
    return weights


def _weights_name(final: Checkpoint) -> ArtifactName:
    """The worker saves a LoRA adapter to adapter/, the weights of method full to model/."""
    return "model" if PurePosixPath(final.storage_key).name == "model" else "adapter"


def _no_weights_because(run: Run, noun: str) -> str:
    if not run.status.finished:
        return f"Run {run.id} has no {noun} yet: it is {run.status.value}"
    if run.status == RunStatus.CANCELLED:
        return f"Run {run.id} has no {noun}: it was cancelled before its training finished"
    if run.status == RunStatus.FAILED:
        return f"Run {run.id} has no {noun}: it failed"
    return f"Run {run.id} has no {noun} on record"
