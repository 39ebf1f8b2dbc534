"""Who is asking, for every route but health and sign-in: a Bearer token (API) or the session cookie (browser)."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from backend.auth.credentials import SESSION_COOKIE
from backend.auth.service import user_for_bearer, user_for_session
from backend.core.db import SessionDep
from backend.core.errors import Forbidden, Unauthorized
from backend.models import Role, User

# auto_error=False: the two schemes are alternatives; the dependency below says what is missing.
_bearer = HTTPBearer(auto_error=False, description="A personal API token (fts_…) or one from POST /api/auth/token.")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The browser's sign-in.")


def current_user(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> User:
    user = None
    if bearer is not None:
        user = user_for_bearer(session, bearer.credentials)
    elif cookie:
        user = user_for_session(session, cookie)
    if user is None:
        detail = "Sign in, or send an API token as 'Authorization: Bearer …'."
        if bearer is not None or cookie:
            detail = "Your sign-in has expired or was revoked: sign in again."
        raise Unauthorized(detail)
    return user


def creator(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role == Role.REVIEWER:
        raise Forbidden("Reviewers review what they are given: uploading and launching need a member account.")
    return user


def admin(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("Only an admin can do this.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
CreatorUser = Annotated[User, Depends(creator)]  # may upload data and launch runs: admins and members
AdminUser = Annotated[User, Depends(admin)]
