"""Webhooks: a run's end (succeeded, failed, cancelled) posted as signed JSON to the studio's global webhook
(STUDIO_WEBHOOK_URL) and to the run's own (Run.webhook_url). Announced by whoever ends the run, after its commit (the
worker's finish, the lease reaper when it gives up, the API's cancel of a queued run); delivered, retried and
recorded by a light worker (worker.webhooks).

The signature: HMAC-SHA256, keyed with the secret, over "{timestamp}.{raw body}", sent as
`X-Studio-Signature: sha256=<hex>` with the Unix timestamp in `X-Studio-Timestamp`. The timestamp is signed so that a
receiver that refuses old ones (say, more than 5 minutes) cannot be sent a captured delivery again.
"""

import hashlib
import hmac
import logging
from enum import StrEnum

from backend.core.config import get_settings
from backend.core.queue import BrokerUnreachable, enqueue_webhook
from backend.models import RunStatus

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Studio-Signature"
TIMESTAMP_HEADER = "X-Studio-Timestamp"
EVENT_HEADER = "X-Studio-Event"

EVENTS = {
    RunStatus.SUCCEEDED: "run.succeeded",
    RunStatus.FAILED: "run.failed",
    RunStatus.CANCELLED: "run.cancelled",
}


class Target(StrEnum):
    """Which webhook a delivery goes to: the studio's (settings) or the run's own."""

    GLOBAL = "global"
    RUN = "run"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Studio-Signature value for this body sent at this timestamp."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (in its own language): sign again and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def announce(run_id: int, status: RunStatus, run_webhook_url: str | None) -> None:
    """Queue the deliveries of a run's end, once it is committed. A broker out of reach loses the notification, not
    the run's end: it is logged."""
    event = EVENTS.get(status)
    if event is None:
        return
    targets = [Target.GLOBAL] if get_settings().webhook_url else []
    if run_webhook_url:
        targets.append(Target.RUN)
    for target in targets:
        try:
            enqueue_webhook(run_id, event, target)
        except BrokerUnreachable:
            log.warning("run %s: the broker is unreachable; the %s webhook of its end is not sent", run_id, target)
