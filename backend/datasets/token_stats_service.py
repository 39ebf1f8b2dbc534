"""Token-length statistics of a dataset, counted once per (dataset, base model, template) by a light worker.

Rendering and tokenising every example takes seconds on a large dataset (52,000 Alpaca rows: about 5 s on two
CPU cores), so no API request does it. The first ask stores a pending row and queues `datasets.token_stats` on the
light queue; the worker stores every example's length, sorted. Every later ask, from any API process, summarises
those lengths for its own max_seq_length (a bisection and a histogram: milliseconds) without counting again.

One row per key however many ask at once: the row is inserted with ON CONFLICT DO NOTHING, and the task is sent by
the one asker whose conditional UPDATE marks it sent. State lives in the database, not in the broker: a count
whose task was lost (a light worker killed mid-count) is sent again by the next ask after TOKEN_COUNT_LOST_AFTER.

This module is the asking side; worker.token_counting counts, backend.datasets.token_summary summarises.
"""

import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy import Update, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.base_models.service import list_base_models
from backend.core.errors import Conflict, ErrorBody, Invalid, NotFound, StudioError, Unavailable
from backend.core.queue import enqueue_token_stats
from backend.datasets.rendering import choose_template, tokenizer_file
from backend.datasets.schemas import TokenStatsOut, TokenStatsPending
from backend.datasets.token_summary import summarize
from backend.models import TOKEN_COUNT_LOST_AFTER, Dataset, TokenStats, TokenStatsStatus, utcnow
from domain.templates import TemplateName

log = logging.getLogger(__name__)

HISTOGRAM_BINS = 20
# A count that failed for a reason other than the data or the template (the database, a dead worker) is tried
# again when asked, up to this many attempts in all; failures of the data or template are final for their key.
MAX_ATTEMPTS = 3
_ERRORS: dict[int, type[StudioError]] = {error.status_code: error for error in (NotFound, Conflict, Invalid)}


# What a count depends on


@dataclass(frozen=True)
class StatsKey:
    dataset_id: int
    split_hash: str
    base_model: str
    tokenizer_version: str
    template: TemplateName
    custom_template: str | None

    @property
    def digest(self) -> str:
        parts = [self.dataset_id, self.split_hash, self.base_model, self.tokenizer_version]
        return hashlib.sha256(json.dumps([*parts, self.template, self.custom_template]).encode()).hexdigest()


def stats_key(
    session: Session, dataset: Dataset, *, base_model: str, template: TemplateName, custom_template: str | None
) -> StatsKey:
    """Raises what the preview raises when the base model's tokenizer cannot be used here."""
    found = tokenizer_file(session, base_model)
    return StatsKey(
        dataset_id=dataset.id,
        split_hash=dataset.split_hash,
        base_model=found.base_model,
        tokenizer_version=found.version,
        template=template,
        # Only the custom template reads it: another template's count must not depend on it.
        custom_template=custom_template if template == "custom" else None,
    )


# Asking (the API)


def request_stats(session: Session, key: StatsKey) -> TokenStats:
    """The stored count for `key`, ready or pending; a pending one is queued unless it already is.

    Raises the error of a count that failed, exactly as the API gave it when it counted inside the request.
    Commits: the worker that takes the task must find the row.
    """
    stats = _find(session, key) or _insert(session, key)
    if stats.status == TokenStatsStatus.FAILED and _retryable(stats):
        _retry(session, stats)
    if stats.status == TokenStatsStatus.FAILED:
        raise _stored_error(stats)
    if stats.status == TokenStatsStatus.PENDING:
        _send_if_due(session, stats)
    return stats


def _update() -> Update:
    # The ORM would evaluate the WHERE clause against the loaded row to update it in memory, and SQLite gives
    # back naive datetimes: callers refresh the row instead.
    return update(TokenStats).execution_options(synchronize_session=False)


def _find(session: Session, key: StatsKey) -> TokenStats | None:
    return session.scalar(select(TokenStats).where(TokenStats.key == key.digest))


def _insert(session: Session, key: StatsKey) -> TokenStats:
    # A second API process asking the same instant inserts nothing, and both read the one row.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(TokenStats).values(
        key=key.digest,
        dataset_id=key.dataset_id,
        split_hash=key.split_hash,
        base_model=key.base_model,
        tokenizer_version=key.tokenizer_version,
        template=key.template,
        custom_template=key.custom_template,
        status=TokenStatsStatus.PENDING,
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=[TokenStats.key]))
    session.commit()
    stats = _find(session, key)
    assert stats is not None  # inserted now or by the other asker; rows are only deleted with their dataset
    return stats


def _retryable(stats: TokenStats) -> bool:
    return (stats.error_status or 0) >= Unavailable.status_code and stats.attempts < MAX_ATTEMPTS


def _retry(session: Session, stats: TokenStats) -> None:
    session.execute(
        _update()
        .where(TokenStats.id == stats.id, TokenStats.status == TokenStatsStatus.FAILED)
        .values(status=TokenStatsStatus.PENDING, error=None, error_status=None, requested_at=None, started_at=None)
    )
    session.commit()
    session.refresh(stats)


def _send_if_due(session: Session, stats: TokenStats) -> None:
    """Queue the count unless its task was sent lately: of two asks at once, only one wins the UPDATE."""
    now = utcnow()
    lost = now - TOKEN_COUNT_LOST_AFTER
    never_sent = TokenStats.requested_at.is_(None)
    lost_since = and_(
        TokenStats.requested_at < lost, or_(TokenStats.started_at.is_(None), TokenStats.started_at < lost)
    )
    result = session.execute(
        _update()
        .where(TokenStats.id == stats.id, TokenStats.status == TokenStatsStatus.PENDING, or_(never_sent, lost_since))
        .values(requested_at=now)
    )
    session.commit()  # before sending: the worker that takes the task at once must see it marked sent
    if result.rowcount:  # type: ignore[attr-defined]
        try:
            enqueue_token_stats(stats.id)
        except Exception:
            # Not sent after all (the broker is out of reach): the next ask sends it, rather than after TOKEN_COUNT_LOST_AFTER.
            session.execute(_update().where(TokenStats.id == stats.id).values(requested_at=None))
            session.commit()
            raise
    session.refresh(stats)


def _stored_error(stats: TokenStats) -> StudioError:
    body = ErrorBody.model_validate(stats.error or {"detail": "counting the tokens failed"})
    error = _ERRORS.get(stats.error_status or 0, Unavailable)
    return error(body.detail, field=body.field, errors=body.errors)


def token_stats(
    session: Session, dataset: Dataset, *, base_model: str, template: TemplateName | None, max_seq_length: int
) -> TokenStatsOut | TokenStatsPending:
    chosen, custom_template = choose_template(dataset, template, None)
    key = stats_key(session, dataset, base_model=base_model, template=chosen, custom_template=custom_template)
    stats = request_stats(session, key)
    if stats.lengths is None:
        return TokenStatsPending(
            status="pending", num_examples=dataset.num_rows, waiting_for_worker=stats.started_at is None
        )
    return summarize(stats.lengths, max_seq_length)


def count_in_background(session: Session, dataset: Dataset) -> None:
    """Queue the count the dataset page asks for first (the first base model listed, the dataset's template),
    right after an upload or a template change, so it is usually ready when the page opens.

    Best effort, after the dataset is committed: the page asks anyway, and says why when it cannot count.
    """
    models = list_base_models(session)
    if not models:
        return
    try:
        key = stats_key(
            session,
            dataset,
            base_model=models[0].name,
            template=dataset.template,  # type: ignore[arg-type]  # stored from TemplateName
            custom_template=dataset.custom_template,
        )
        request_stats(session, key)
    except StudioError:
        return  # e.g. the bundled model is not prepared yet
    except Exception:
        # The upload is stored: a broker out of reach must not turn it into an error. The page's ask queues it.
        log.warning("could not queue the token count of dataset %s", dataset.id, exc_info=True)
        session.rollback()
