from fastapi import APIRouter

from backend.hyperparameters import service
from backend.hyperparameters.schemas import HyperparameterSpec

router = APIRouter(prefix="/api", tags=["hyperparameters"])


@router.get("/hyperparameters", response_model=list[HyperparameterSpec], operation_id="listHyperparameters")
def list_hyperparameters() -> list[HyperparameterSpec]:
    """Every hyperparameter with its type, default, bounds, choices and one-line help text (the UI's form)."""
    return service.list_hyperparameters()
