"""Delivering a run's end to a webhook: one attempt at a time, each recorded in webhook_deliveries. The light task
(worker.light_tasks.deliver_webhook) retries with exponential backoff while an attempt says to. The body, its
signature and the events are described in backend.core.webhooks and the README."""

import json
import logging
import time
from typing import Any

import httpx

from backend.core.addresses import AddressRefused, PublicOnlyTransport
from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.secret_key import Undecryptable, decrypt
from backend.core.webhooks import EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, Target, sign
from backend.models import Run, User, WebhookDelivery
from domain.judging import quote

log = logging.getLogger(__name__)


def backoff_seconds(attempt: int) -> float:
    """The wait after failed attempt `attempt` (1, 2, ...): the setting, doubled after each."""
    return float(get_settings().webhook_backoff_seconds * 2 ** (attempt - 1))


def payload(run: Run, event: str) -> dict[str, Any]:
    metric = (
        {"name": "rouge_l", "value": run.rouge_l, "change_vs_base": run.rouge_l_change}
        if run.rouge_l is not None
        else None
    )
    return {
        "event": event,
        "run_id": run.id,
        "name": run.name,
        "status": run.status.value,
        "final_eval_loss": run.final_eval_loss,
        "best_eval_loss": run.best_eval_loss,
        "metric": metric,
        "error": run.error,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "url": f"{get_settings().studio_url}/runs/{run.id}",
    }


def deliver(run_id: int, event: str, target: Target, attempt: int) -> bool:
    """One attempt at posting the event, recorded. True when it failed in a way another attempt may fix (no answer in
    time, no connection, a 429 or a 5xx); False when it is done: delivered, refused (another 4xx), not allowed, or
    nothing to deliver any more (the run or its webhook is gone)."""
    settings = get_settings()
    with get_sessionmaker()() as session:
        run = session.get(Run, run_id)
        if run is None:
            return False
        if target == Target.GLOBAL:
            url, secret, may_call_internal = settings.webhook_url, settings.webhook_secret.get_secret_value(), True
        else:
            if not run.webhook_url:
                return False
            url, may_call_internal = run.webhook_url, session.get_one(User, run.owner_id).is_admin
            try:
                secret = (
                    decrypt(run.webhook_secret_encrypted)
                    if run.webhook_secret_encrypted
                    else settings.webhook_secret.get_secret_value()
                )
            except Undecryptable as exc:
                _record(run_id, url, event, attempt, None, f"{exc}: set the run's webhook secret again", 0.0)
                return False
        body = json.dumps(payload(run, event), separators=(",", ":")).encode()
    if not url or not secret:  # the global webhook was unset since, or no secret is left to sign with
        return False
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "finetune-studio-webhook",
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
    transport = None if may_call_internal else PublicOnlyTransport(httpx.Limits())
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    retry = True
    try:
        with httpx.Client(transport=transport, timeout=settings.webhook_timeout_seconds) as client:
            response = client.post(url, content=body, headers=headers)
        status_code = response.status_code
        retry = status_code == 429 or status_code >= 500
        if not response.is_success:
            error = f"HTTP {status_code}: {quote(response.text, limit=200)}"
    except AddressRefused as exc:
        error, retry = f"{exc}: only an admin's webhook may call inside the studio's network", False
    except httpx.TimeoutException:
        error = f"no answer within {settings.webhook_timeout_seconds:g} s"
    except httpx.HTTPError as exc:
        error = f"could not reach the webhook: {type(exc).__name__}: {exc}"
    _record(run_id, url, event, attempt, status_code, error, time.monotonic() - started)
    if error:
        log.warning("run %s: %s webhook attempt %s failed: %s", run_id, target, attempt, error)
    return retry


def _record(
    run_id: int, url: str, event: str, attempt: int, status_code: int | None, error: str | None, seconds: float
) -> None:
    with get_sessionmaker().begin() as session:
        if session.get(Run, run_id) is None:
            return  # deleted while the call was made: its deliveries went with it
        session.add(
            WebhookDelivery(
                run_id=run_id,
                url=url,
                event=event,
                attempt=attempt,
                status_code=status_code,
                error=error,
                duration_seconds=round(seconds, 3),
            )
        )
