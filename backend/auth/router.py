from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from backend.auth import service
from backend.auth.credentials import SESSION_COOKIE
from backend.auth.dependencies import CurrentUser, current_user
from backend.auth.schemas import (
    AccessToken,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    AuthState,
    SignIn,
    SignUp,
    UserOut,
)
from backend.core.config import get_settings
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, error_responses
from backend.core.params import Id
from backend.core.schemas import Page
from backend.models import User

router = APIRouter(prefix="/api/auth", tags=["auth"])
tokens_router = APIRouter(prefix="/api/tokens", tags=["auth"], dependencies=[Depends(current_user)])


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _set_session_cookie(response: Response, secret: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=get_settings().secure_cookies,
        path="/",
    )


def _signed_in(session: SessionDep, response: Response, user: User) -> UserOut:
    secret = service.start_session(session, user)
    _set_session_cookie(response, secret, int(get_settings().session_hours * 3600))
    return UserOut.model_validate(user)


@router.get("/state", response_model=AuthState, operation_id="getAuthState")
def auth_state(session: SessionDep) -> AuthState:
    needs_admin = not service.account_exists(session)
    return AuthState(
        needs_admin=needs_admin,
        setup_allowed=needs_admin and get_settings().loopback,
        open_signup=service.open_signup(session),
    )


@router.post(
    "/setup",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    operation_id="createFirstAdmin",
    responses=error_responses(Forbidden, Conflict),
)
def create_first_admin(request: SignUp, session: SessionDep, response: Response) -> UserOut:
    """The first screen of a new studio on loopback: create the admin account and sign in."""
    if not get_settings().loopback:
        raise Forbidden("On a network address the admin comes from STUDIO_ADMIN_EMAIL and STUDIO_ADMIN_PASSWORD.")
    user = service.create_first_admin(session, request.email, request.password)
    return _signed_in(session, response, user)


@router.post(
    "/session",
    response_model=UserOut,
    operation_id="signIn",
    responses=error_responses(Unauthorized, TooManyRequests),
)
def sign_in(body: SignIn, request: Request, session: SessionDep, response: Response) -> UserOut:
    """Browser sign-in: sets an HttpOnly, SameSite=Strict session cookie."""
    user = service.authenticate(session, body.email, body.password, _client(request))
    return _signed_in(session, response, user)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT, operation_id="signOut")
def sign_out(request: Request, session: SessionDep, _user: CurrentUser) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        service.end_session(session, secret)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post(
    "/signup",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    operation_id="signUp",
    responses=error_responses(Forbidden, Conflict),
)
def sign_up(request: SignUp, session: SessionDep, response: Response) -> UserOut:
    """A new member account: with an admin's invitation, or by anyone when the admin opened sign-up."""
    user = service.sign_up(session, request)
    return _signed_in(session, response, user)


@router.post(
    "/token",
    response_model=AccessToken,
    operation_id="createAccessToken",
    responses=error_responses(Unauthorized, TooManyRequests),
)
def access_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep
) -> AccessToken:
    """OAuth2 password grant for scripts: `username` is the email. The token lasts as long as a browser sign-in."""
    user = service.authenticate(session, form.username.strip().lower(), form.password, _client(request))
    secret = service.start_session(session, user)
    return AccessToken(access_token=secret)


@router.get("/me", response_model=UserOut, operation_id="getCurrentUser", responses=error_responses(Unauthorized))
def me(user: CurrentUser) -> User:
    return user


@tokens_router.get("", response_model=Page[ApiTokenOut], operation_id="listApiTokens")
def list_tokens(session: SessionDep, user: CurrentUser) -> Page[ApiTokenOut]:
    tokens = service.list_api_tokens(session, user)
    return Page(items=[ApiTokenOut.model_validate(token) for token in tokens], total=len(tokens))


@tokens_router.post(
    "", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED, operation_id="createApiToken"
)
def create_token(request: ApiTokenCreate, session: SessionDep, user: CurrentUser) -> ApiTokenCreated:
    token, secret = service.create_api_token(session, user, request)
    return ApiTokenCreated(**ApiTokenOut.model_validate(token).model_dump(), token=secret)


@tokens_router.delete(
    "/{token_id}", response_model=ApiTokenOut, operation_id="revokeApiToken", responses=error_responses(NotFound)
)
def revoke_token(token_id: Id, session: SessionDep, user: CurrentUser) -> ApiTokenOut:
    return ApiTokenOut.model_validate(service.revoke_api_token(session, user, token_id))
