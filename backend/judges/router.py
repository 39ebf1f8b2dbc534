from typing import Annotated

from fastapi import APIRouter, Depends, status

from backend.auth.dependencies import CreatorUser, CurrentUser
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, error_responses
from backend.core.params import Id
from backend.core.schemas import Page
from backend.judges import service
from backend.judges.schemas import JudgeCheckOut, JudgeCreate, JudgeOut, JudgeUpdate, RubricOut, RubricsOut
from backend.models import Judge
from domain.judging import DEFAULT_RUBRIC, PAIRWISE_PLACEHOLDERS, PAIRWISE_RUBRIC, SCORE_PLACEHOLDERS

router = APIRouter(prefix="/api/judges", tags=["judges"])


def load_judge(session: SessionDep, user: CurrentUser, judge_id: Id) -> Judge:
    return service.get_judge(session, judge_id, user)


JudgeDep = Annotated[Judge, Depends(load_judge)]


@router.get("", response_model=Page[JudgeOut], operation_id="listJudges")
def list_judges(session: SessionDep, user: CurrentUser) -> Page[JudgeOut]:
    judges = service.list_judges(session, user)
    return Page(items=[JudgeOut.model_validate(judge) for judge in judges], total=len(judges))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JudgeOut,
    operation_id="createJudge",
    responses=error_responses(Invalid),
)
def create_judge(session: SessionDep, user: CreatorUser, request: JudgeCreate) -> Judge:
    """An LLM that grades evaluations' answers. Its API key is stored encrypted and never returned."""
    return service.create_judge(session, user, request)


# Before /{judge_id}: "rubrics" is not an id.
@router.get("/rubrics", response_model=RubricsOut, operation_id="getJudgeRubrics")
def get_rubrics() -> RubricsOut:
    """The default rubrics a judge is asked with, to start an edited one from."""
    return RubricsOut(
        score=RubricOut(text=DEFAULT_RUBRIC, placeholders=list(SCORE_PLACEHOLDERS)),
        pairwise=RubricOut(text=PAIRWISE_RUBRIC, placeholders=list(PAIRWISE_PLACEHOLDERS)),
    )


@router.get("/{judge_id}", response_model=JudgeOut, operation_id="getJudge", responses=error_responses(NotFound))
def get_judge(judge: JudgeDep) -> Judge:
    return judge


@router.patch(
    "/{judge_id}",
    response_model=JudgeOut,
    operation_id="updateJudge",
    responses=error_responses(NotFound, Invalid),
)
def update_judge(session: SessionDep, user: CurrentUser, judge: JudgeDep, request: JudgeUpdate) -> Judge:
    """Rename, point elsewhere, or replace the key ("" removes it); what is not sent stays. Only an admin may point a
    judge at an address inside the studio's network (loopback, private, link-local)."""
    return service.update_judge(session, user, judge, request)


@router.delete(
    "/{judge_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteJudge",
    responses=error_responses(NotFound, Conflict),
)
def delete_judge(session: SessionDep, judge: JudgeDep) -> None:
    """Judgings it made keep its name and model."""
    service.delete_judge(session, judge)


@router.post(
    "/{judge_id}/check",
    response_model=JudgeCheckOut,
    operation_id="checkJudge",
    responses=error_responses(NotFound, Invalid),
)
def check_judge(session: SessionDep, judge: JudgeDep) -> JudgeCheckOut:
    """One test prompt to the judge's endpoint (up to 20 s): does it answer, with a score a judging can read?"""
    return service.check_judge(session, judge)
