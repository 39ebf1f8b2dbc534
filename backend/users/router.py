from fastapi import APIRouter, Depends, Response, status

from backend.auth import service as auth_service
from backend.auth.dependencies import AdminUser, admin
from backend.auth.schemas import UserOut
from backend.core.db import SessionDep
from backend.core.errors import Conflict, NotFound, error_responses
from backend.core.params import Id
from backend.core.schemas import Page
from backend.models import AccessPolicy, User
from backend.users import service
from backend.users.schemas import (
    AccessPolicyOut,
    InvitationCreate,
    InvitationCreated,
    InvitationOut,
    UserCreate,
    UserUpdate,
)

# Everything here is the admin's.
router = APIRouter(prefix="/api", tags=["users"], dependencies=[Depends(admin)])


@router.get("/users", response_model=Page[UserOut], operation_id="listUsers")
def list_users(session: SessionDep) -> Page[UserOut]:
    users = service.list_users(session)
    return Page(items=[UserOut.model_validate(user) for user in users], total=len(users))


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    operation_id="createUser",
    responses=error_responses(Conflict),
)
def create_user(request: UserCreate, session: SessionDep) -> User:
    return auth_service.create_user(session, request.email, request.password, request.role)


@router.patch(
    "/users/{user_id}", response_model=UserOut, operation_id="updateUser", responses=error_responses(NotFound, Conflict)
)
def update_user(user_id: Id, request: UserUpdate, session: SessionDep) -> User:
    return service.update_user(session, service.get_user(session, user_id), request)


@router.get("/invitations", response_model=Page[InvitationOut], operation_id="listInvitations")
def list_invitations(session: SessionDep) -> Page[InvitationOut]:
    invitations = service.list_invitations(session)
    return Page(items=[InvitationOut.model_validate(item) for item in invitations], total=len(invitations))


@router.post(
    "/invitations",
    response_model=InvitationCreated,
    status_code=status.HTTP_201_CREATED,
    operation_id="createInvitation",
    responses=error_responses(Conflict),
)
def create_invitation(request: InvitationCreate, session: SessionDep, acting: AdminUser) -> InvitationCreated:
    invitation, secret = service.create_invitation(session, acting, request)
    return InvitationCreated(**InvitationOut.model_validate(invitation).model_dump(), secret=secret)


@router.delete(
    "/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="withdrawInvitation",
    responses=error_responses(NotFound),
)
def withdraw_invitation(invitation_id: Id, session: SessionDep) -> Response:
    service.withdraw_invitation(session, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/access-policy", response_model=AccessPolicyOut, operation_id="getAccessPolicy")
def get_access_policy(session: SessionDep) -> AccessPolicy:
    return service.access_policy(session)


@router.put("/access-policy", response_model=AccessPolicyOut, operation_id="setAccessPolicy")
def set_access_policy(request: AccessPolicyOut, session: SessionDep) -> AccessPolicy:
    policy = service.access_policy(session)
    policy.open_signup = request.open_signup
    return policy
