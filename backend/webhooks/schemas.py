from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

WEBHOOK_URL_CHARS = 1000
WEBHOOK_URL_DESCRIPTION = (
    "Where the run's end (succeeded, failed, cancelled) is posted as signed JSON (README: Webhooks), besides the "
    "studio's global webhook. A member's may not point inside the studio's network (loopback, private, link-local)."
)
WEBHOOK_SECRET_DESCRIPTION = (
    "Signs the run's webhook deliveries; stored encrypted and never returned (responses say only "
    "`has_webhook_secret`). Not given: the studio's STUDIO_WEBHOOK_SECRET signs."
)


def _http_url(value: str) -> str:
    value = value.strip()
    if value == "":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL, e.g. https://hooks.example.com/studio")
    return value


WebhookUrl = Annotated[str, Field(min_length=1, max_length=WEBHOOK_URL_CHARS), AfterValidator(_http_url)]
# In an update "" removes the webhook.
WebhookUrlOrEmpty = Annotated[str, Field(max_length=WEBHOOK_URL_CHARS), AfterValidator(_http_url)]
WebhookSecret = Annotated[SecretStr, Field(max_length=1000)]


class WebhookDeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    event: str = Field(description="run.succeeded, run.failed or run.cancelled.")
    attempt: int = Field(description="1 for the first try; retries count up.")
    status_code: int | None = Field(description="The webhook's HTTP status; null when it gave none (see error).")
    error: str | None = Field(description="Why the attempt failed; null when the webhook answered 2xx.")
    duration_seconds: float
    time: datetime
