"""Counting a dataset's token lengths for its token statistics: the light queue's task body.

The API asks (backend.datasets.token_stats_service stores a pending row and sends the task); a light worker claims the
row, renders and tokenises every example exactly as the trainer does (domain.templates, domain.tokenize: no torch),
and stores the lengths and answer lengths sorted, or the error the API answers with.
"""

import logging
from typing import Any

from sqlalchemy import Update, or_, select, update
from sqlalchemy.orm import Session

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.errors import Invalid, StudioError, Unavailable
from backend.models import TOKEN_COUNT_LOST_AFTER, BaseModelEntry, DatasetExample, TokenStats, TokenStatsStatus, utcnow
from domain.catalog import model_location, read_chat_template
from domain.records import RECORD
from domain.templates import DatasetRenderError, TemplateContext, TemplateName, render_rows, template_field
from domain.tokenize import answer_token_lengths, load_tokenizer, token_lengths

log = logging.getLogger(__name__)

# Nobody waits on a light worker as on a request, so it may render for longer; a runaway custom template must
# still not hold a worker thread for ever.
RENDER_SECONDS = 120.0


def _update() -> Update:
    # As the asking side: no in-memory evaluation of the WHERE clause (SQLite gives back naive datetimes).
    return update(TokenStats).execution_options(synchronize_session=False)


def count_tokens(stats_id: int) -> None:
    """Every example's tokens for the row's key, stored sorted; or the error, as the API would have answered it."""
    with get_sessionmaker()() as session:
        if not _claim(session, stats_id):
            log.info("token stats %s are no longer pending, or another worker is counting them; skipping", stats_id)
            return
        values: dict[str, Any]
        try:
            lengths, answer_lengths = _count(session, stats_id)
            values = {"status": TokenStatsStatus.READY, "lengths": lengths, "answer_lengths": answer_lengths}
        except StudioError as exc:
            session.rollback()
            values = _failure(exc)
        except Exception as exc:
            log.exception("counting token stats %s failed", stats_id)
            session.rollback()
            values = _failure(Unavailable(f"counting the tokens failed: {type(exc).__name__}: {exc}"))
        session.execute(
            _update()
            .where(TokenStats.id == stats_id, TokenStats.status == TokenStatsStatus.PENDING)
            .values(**values, finished_at=utcnow())
        )
        session.commit()


def _claim(session: Session, stats_id: int) -> bool:
    """pending → started, in one statement: a duplicate task (the count was sent twice) finds it taken."""
    now = utcnow()
    result = session.execute(
        _update()
        .where(
            TokenStats.id == stats_id,
            TokenStats.status == TokenStatsStatus.PENDING,
            or_(TokenStats.started_at.is_(None), TokenStats.started_at < now - TOKEN_COUNT_LOST_AFTER),
        )
        .values(started_at=now, attempts=TokenStats.attempts + 1)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _count(session: Session, stats_id: int) -> tuple[list[int], list[int]]:
    """Every example's tokens and answer tokens, each sorted."""
    stats = session.get_one(TokenStats, stats_id)
    entry = session.scalars(select(BaseModelEntry).where(BaseModelEntry.name == stats.base_model)).one()
    # The API checked this tokenizer.json when it asked (the key holds its version).
    directory = model_location(entry.name, entry.source, entry.location, get_settings().models_dir)
    tokenizer, eos_token = load_tokenizer(directory)
    context = TemplateContext(chat_template=read_chat_template(directory), custom_template=stats.custom_template)
    template: TemplateName = stats.template  # type: ignore[assignment]  # stored from TemplateName
    rows = session.execute(
        select(DatasetExample.row_number, DatasetExample.record)
        .where(DatasetExample.dataset_id == stats.dataset_id)
        .order_by(DatasetExample.row_number)
    )
    records = ((row_number, RECORD.validate_python(record)) for row_number, record in rows)
    try:
        rendered = render_rows(template, records, context, seconds=RENDER_SECONDS)
    except DatasetRenderError as exc:
        raise Invalid(exc.errors[0], field=template_field(template), errors=exc.errors) from exc
    return (
        sorted(token_lengths(tokenizer, rendered, eos_token=eos_token)),
        sorted(answer_token_lengths(tokenizer, rendered, eos_token=eos_token)),
    )


def _failure(error: StudioError) -> dict[str, Any]:
    return {"status": TokenStatsStatus.FAILED, "error": error.body.model_dump(), "error_status": error.status_code}
