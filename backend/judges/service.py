"""Judges: stored per owner, their API key encrypted and never returned; checked with one test call."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.ownership import can_see, owned_by
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.secret_key import Undecryptable, decrypt, encrypt
from backend.judges.addresses import check_allowed
from backend.judges.connection import check_endpoint
from backend.judges.schemas import JudgeCheckOut, JudgeCreate, JudgeUpdate
from backend.models import BaseModelEntry, Judge, JudgeKind, Judging, RunStatus, User

UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)


def list_judges(session: Session, user: User) -> list[Judge]:
    return list(session.scalars(select(Judge).where(owned_by(user, Judge.owner_id)).order_by(Judge.id)))


def get_judge(session: Session, judge_id: int, user: User) -> Judge:
    judge = session.get(Judge, judge_id)
    if judge is None or not can_see(user, judge.owner_id):
        raise NotFound(f"judge {judge_id} not found")
    return judge


def create_judge(session: Session, user: User, request: JudgeCreate) -> Judge:
    judge = Judge(owner_id=user.id, name=request.name.strip(), kind=request.kind, model=request.model.strip())
    if request.kind == JudgeKind.OPENAI:
        if request.base_url is None:
            raise Invalid(
                "base_url: an openai judge needs its endpoint, e.g. https://api.openai.com/v1", field="base_url"
            )
        check_allowed(user, request.base_url)
        judge.base_url = request.base_url
        _set_key(judge, request.api_key.get_secret_value() if request.api_key else "")
    else:
        for field, value in (("base_url", request.base_url), ("api_key", request.api_key)):
            if value is not None:
                raise Invalid(f"{field}: a base_model judge runs in the studio and has no {field}", field=field)
        _check_base_model(session, judge.model)
    session.add(judge)
    session.flush()
    return judge


def update_judge(session: Session, user: User, judge: Judge, request: JudgeUpdate) -> Judge:
    sent = request.model_fields_set
    if judge.kind == JudgeKind.BASE_MODEL:
        for field in ("base_url", "api_key"):
            if field in sent and getattr(request, field) is not None:
                raise Invalid(f"{field}: a base_model judge runs in the studio and has no {field}", field=field)
    if request.name is not None:
        judge.name = request.name.strip()
    if request.model is not None:
        if judge.kind == JudgeKind.BASE_MODEL:
            _check_base_model(session, request.model.strip())
        judge.model = request.model.strip()
    if request.base_url is not None:
        check_allowed(user, request.base_url)
        judge.base_url = request.base_url
    if request.api_key is not None:
        _set_key(judge, request.api_key.get_secret_value())
    return judge


def delete_judge(session: Session, judge: Judge) -> None:
    busy = session.scalar(
        select(Judging.id).where(Judging.judge_id == judge.id, Judging.status.in_(UNFINISHED)).limit(1)
    )
    if busy is not None:
        raise Conflict(f"judge '{judge.name}' is working on judging {busy}: cancel it first, then delete the judge")
    # Finished judgings keep the judge's name and model: only the link goes (ON DELETE SET NULL).
    session.delete(judge)


def check_judge(session: Session, judge: Judge) -> JudgeCheckOut:
    if judge.kind == JudgeKind.BASE_MODEL:
        _check_base_model(session, judge.model)
        return JudgeCheckOut(
            ok=True,
            detail=f"{judge.model} is registered; a training worker loads it when it judges (nothing to call now)",
            seconds=0.0,
        )
    assert judge.base_url is not None  # an openai judge always has one
    try:
        key = api_key(judge)
    except Undecryptable as exc:
        return JudgeCheckOut(ok=False, detail=f"{exc}: enter the API key again", seconds=0.0)
    owner = session.get_one(User, judge.owner_id)
    return check_endpoint(judge.base_url, judge.model, key, may_call_internal=owner.is_admin)


def api_key(judge: Judge) -> str:
    """The stored key in clear ("" when none), for a call to the judge: never for a response or a log."""
    return decrypt(judge.api_key_encrypted) if judge.api_key_encrypted is not None else ""


def _set_key(judge: Judge, key: str) -> None:
    judge.api_key_encrypted = encrypt(key) if key else None


def _check_base_model(session: Session, name: str) -> None:
    if session.scalar(select(BaseModelEntry.id).where(BaseModelEntry.name == name)) is None:
        registered = ", ".join(session.scalars(select(BaseModelEntry.name).order_by(BaseModelEntry.id))) or "none"
        raise Invalid(
            f"model: no base model named '{name}' is registered; registered ones: {registered}", field="model"
        )
