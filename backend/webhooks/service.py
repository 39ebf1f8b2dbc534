"""A run's own webhook: its URL (public addresses only for a member, as a judge's), its secret encrypted."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.addresses import internal_host
from backend.core.config import get_settings
from backend.core.errors import Invalid
from backend.core.secret_key import encrypt
from backend.models import Run, User, WebhookDelivery


def set_webhook(user: User, run: Run, url: str | None, secret: str | None) -> None:
    """`url`: a new URL, "" to remove the webhook (and its secret), None to keep it. `secret`: a new one, "" to sign
    with the global secret again, None to keep it."""
    if url == "":
        run.webhook_url = run.webhook_secret_encrypted = None
    elif url is not None:
        _check_allowed(user, url)
        run.webhook_url = url
    if secret is not None:
        if secret and run.webhook_url is None:
            raise Invalid("webhook_secret: a secret needs a webhook_url to sign for", field="webhook_secret")
        run.webhook_secret_encrypted = encrypt(secret) if secret else None
    if (
        run.webhook_url
        and run.webhook_secret_encrypted is None
        and not get_settings().webhook_secret.get_secret_value()
    ):
        raise Invalid(
            "webhook_secret: the studio has no global webhook secret (STUDIO_WEBHOOK_SECRET), so the run's webhook "
            "needs its own secret to sign its deliveries",
            field="webhook_secret",
        )


def list_deliveries(session: Session, run: Run) -> list[WebhookDelivery]:
    """Every attempt, newest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.run_id == run.id).order_by(WebhookDelivery.id.desc())
    return list(session.scalars(query))


def _check_allowed(user: User, url: str) -> None:
    if user.is_admin:
        return
    found = internal_host(url)
    if found is not None:
        host, internal = found
        raise Invalid(
            f"webhook_url: {host} is {internal.address}, {internal.kind} inside the studio's network; only an admin "
            "can point a webhook there (ask one), or use a public address",
            field="webhook_url",
        )
