from fastapi import APIRouter

from backend.core.db import SessionDep
from backend.core.errors import NotFound, error_responses
from backend.core.schemas import Page
from backend.runs.dependencies import RunDep
from backend.webhooks import service
from backend.webhooks.schemas import WebhookDeliveryOut

router = APIRouter(prefix="/api/runs", tags=["runs"])


@router.get(
    "/{run_id}/webhook-deliveries",
    response_model=Page[WebhookDeliveryOut],
    operation_id="listWebhookDeliveries",
    responses=error_responses(NotFound),
)
def list_webhook_deliveries(session: SessionDep, run: RunDep) -> Page[WebhookDeliveryOut]:
    """Every attempt at posting the run's end to a webhook (the global one and the run's), newest first."""
    deliveries = service.list_deliveries(session, run)
    return Page(items=[WebhookDeliveryOut.model_validate(d) for d in deliveries], total=len(deliveries))
