"""The runs list: filtered, sorted and paginated in one query over the runs table (plus one for the page's tags).

Every figure the list shows is kept on the run as it happens (the worker's sink and finish write them), so a page never
reads metrics or evaluations: 50 runs out of 10,000 stay well under 100 ms on both databases (bench/runs_list.py).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, case, delete, func, insert, select
from sqlalchemy.orm import Session

from backend.auth.ownership import owned_by
from backend.core.errors import Invalid
from backend.models import Dataset, Run, RunStatus, RunTag, User, utcnow
from backend.runs.schemas import RunListItem, RunUpdate
from backend.webhooks.service import set_webhook
from domain import sparkline

# Running first, then waiting, then finished: the order a person scans a list in.
_STATUS_ORDER = case(
    {RunStatus.RUNNING: 0, RunStatus.QUEUED: 1, RunStatus.SUCCEEDED: 2, RunStatus.FAILED: 3, RunStatus.CANCELLED: 4},
    value=Run.status,
)
PRESET_NAME = Run.preset_snapshot["name"].as_string()
SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "created_at": Run.created_at.expression,
    # Names without case on both databases (SQLite's default collation is binary): "alpha" before "Gamma".
    "name": func.lower(Run.name),
    "status": _STATUS_ORDER,
    "dataset": func.lower(Dataset.name),
    "base_model": Run.base_model.expression,
    "preset": func.lower(PRESET_NAME),
    "best_val_loss": Run.best_eval_loss.expression,
    "rouge_l": Run.rouge_l.expression,
    "rouge_l_change": Run.rouge_l_change.expression,
    "duration": Run.duration_seconds.expression,
}

# What GET /api/runs?sort= takes: a field, or "-" and a field for descending.
SORT_VALUES = [value for field in SORT_KEYS for value in (field, f"-{field}")]
NULLABLE_SORT_FIELDS = {"preset", "best_val_loss", "rouge_l", "rouge_l_change", "duration"}


@dataclass(frozen=True)
class RunFilters:
    statuses: list[str]
    dataset_id: int | None = None
    base_model: str | None = None
    preset_id: int | None = None
    q: str | None = None
    tag: str | None = None


def parse_statuses(values: Sequence[str]) -> list[RunStatus]:
    """`status` repeated or as a comma list; an unknown one is named."""
    statuses = []
    for value in (part.strip() for item in values for part in item.split(",")):
        if not value:
            continue
        try:
            statuses.append(RunStatus(value))
        except ValueError:
            allowed = ", ".join(status.value for status in RunStatus)
            raise Invalid(f"status: no status '{value}'; use one of {allowed}", field="query.status") from None
    return statuses


def _sort_order(sort: str) -> list[ColumnElement[Any]]:
    field = sort.removeprefix("-")
    key = SORT_KEYS.get(field)
    if key is None:
        fields = ", ".join(SORT_KEYS)
        raise Invalid(
            f"sort: no field '{field}'; sort by one of {fields}, with '-' before it for descending", field="query.sort"
        )
    descending = sort.startswith("-")
    ordered = key.desc() if descending else key.asc()
    # Runs without the figure (not evaluated yet) go last either way. Only where there can be one: NULLS LAST on a
    # descending sort keeps PostgreSQL from walking the column's index backwards. The id breaks ties so that pages
    # never overlap.
    return [
        ordered.nulls_last() if field in NULLABLE_SORT_FIELDS else ordered,
        Run.id.desc() if descending else Run.id.asc(),
    ]


def _conditions(user: User, filters: RunFilters) -> list[ColumnElement[bool]]:
    conditions = [owned_by(user, Run.owner_id)]
    statuses = parse_statuses(filters.statuses)
    if statuses:
        conditions.append(Run.status.in_(statuses))
    if filters.dataset_id is not None:
        conditions.append(Run.dataset_id == filters.dataset_id)
    if filters.base_model:
        conditions.append(Run.base_model == filters.base_model)
    if filters.preset_id is not None:
        conditions.append(Run.preset_id == filters.preset_id)
    if filters.q and filters.q.strip():
        escaped = filters.q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Run.name.ilike(f"%{escaped}%", escape="\\"))
    if filters.tag:
        conditions.append(Run.id.in_(select(RunTag.run_id).where(RunTag.tag == filters.tag)))
    return conditions


def list_runs(
    session: Session, user: User, filters: RunFilters, sort: str, limit: int, offset: int
) -> tuple[list[RunListItem], int]:
    """A page of the runs `user` may see, and how many match in all."""
    order = _sort_order(sort)
    conditions = _conditions(user, filters)
    total = session.scalar(select(func.count(Run.id)).where(*conditions)) or 0
    # The page's ids first, sorting narrow rows; then only those 50 runs' columns (a sparkline, the JSON snapshot).
    page = select(Run.id).where(*conditions).order_by(*order).limit(limit).offset(offset)
    if sort.removeprefix("-") == "dataset":
        page = page.join(Dataset, Dataset.id == Run.dataset_id)
    ids = list(session.scalars(page))
    rows = session.execute(
        select(
            Run.id,
            Run.name,
            Run.status,
            Run.status_message,
            Run.dataset_id,
            Dataset.name.label("dataset_name"),
            Run.base_model,
            Run.preset_id,
            PRESET_NAME.label("preset_name"),
            Run.step,
            Run.total_steps,
            func.coalesce(Run.unquantised_base_eval_loss, Run.base_eval_loss).label("base_eval_loss"),
            Run.best_eval_loss,
            Run.rouge_l,
            Run.rouge_l_change,
            Run.loss_sparkline,
            Run.created_at,
            Run.started_at,
            Run.finished_at,
            Run.duration_seconds,
            Run.note,
        )
        .join(Dataset, Dataset.id == Run.dataset_id)
        .where(Run.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in rows}
    tags = tags_of(session, ids)
    return [_item(by_id[run_id], tags[run_id]) for run_id in ids], total


def tags_of(session: Session, run_ids: Sequence[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    if run_ids:
        query = select(RunTag.run_id, RunTag.tag).where(RunTag.run_id.in_(run_ids)).order_by(RunTag.tag)
        for run_id, tag in session.execute(query):
            tags[run_id].append(tag)
    return tags


def _item(row: Row[Any], tags: list[str]) -> RunListItem:
    now = utcnow()
    running = row.status == RunStatus.RUNNING and row.started_at is not None
    elapsed = (now - row.started_at).total_seconds() if running else None
    eta = None
    if elapsed is not None and row.step and row.total_steps and row.total_steps >= row.step:
        eta = elapsed * (row.total_steps - row.step) / row.step
    return RunListItem(
        id=row.id,
        name=row.name,
        status=row.status,
        status_message=row.status_message,
        dataset_id=row.dataset_id,
        dataset_name=row.dataset_name,
        base_model=row.base_model,
        preset_id=row.preset_id,
        preset_name=row.preset_name,
        step=row.step,
        total_steps=row.total_steps,
        eta_seconds=eta,
        base_eval_loss=row.base_eval_loss,
        best_eval_loss=row.best_eval_loss,
        rouge_l=row.rouge_l,
        rouge_l_change=row.rouge_l_change,
        loss_sparkline=sparkline.values(row.loss_sparkline),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_seconds=elapsed if running else row.duration_seconds,
        tags=tags,
        note=row.note,
    )


def update_run(session: Session, user: User, run: Run, request: RunUpdate) -> Run:
    """The run's name, tags, note and webhook as asked; what the request leaves out stays."""
    set_webhook(
        user, run, request.webhook_url, request.webhook_secret.get_secret_value() if request.webhook_secret else None
    )
    if request.name is not None:
        run.name = request.name
    if request.note is not None:
        run.note = request.note
    if request.tags is not None:
        session.execute(delete(RunTag).where(RunTag.run_id == run.id))
        unique = sorted(set(request.tags))
        if unique:
            session.execute(insert(RunTag), [{"run_id": run.id, "tag": tag} for tag in unique])
    session.flush()
    return run
