"""Who is asking: sign-in, sessions, API tokens, the first admin and sign-up."""

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backend.auth.credentials import (
    API_TOKEN_PREFIX,
    hash_password,
    new_secret,
    secret_hash,
    verify_password,
)
from backend.auth.limits import signin_limiter
from backend.auth.schemas import ApiTokenCreate, SignUp
from backend.core.config import get_settings
from backend.core.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from backend.models import AccessPolicy, ApiToken, Invitation, Role, User, UserSession, utcnow

PLACEHOLDER_USER_ID = 1  # the first migration's owner of pre-account data; the first admin takes it over
# A token's last-used time is written at most this often: one UPDATE per request would serialise busy clients.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def account_exists(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.email.is_not(None)).limit(1)) is not None


def open_signup(session: Session) -> bool:
    policy = session.get(AccessPolicy, 1)
    return bool(policy and policy.open_signup)


def create_first_admin(session: Session, email: str, password: str) -> User:
    if account_exists(session):
        raise Conflict("The studio already has an admin: sign in, or ask the admin for an invitation.")
    # Take over the placeholder, so what was made before accounts existed belongs to the admin.
    user = session.get(User, PLACEHOLDER_USER_ID)
    if user is None:
        user = User(name=email)
        session.add(user)
    user.name = email
    user.email = email
    user.password_hash = hash_password(password)
    user.role = Role.ADMIN
    user.active = True
    user.created_at = utcnow()  # the account's, not the placeholder's
    session.flush()
    return user


def bootstrap_admin(session: Session) -> None:
    """At start: the admin from STUDIO_ADMIN_EMAIL/STUDIO_ADMIN_PASSWORD, when no account exists yet."""
    settings = get_settings()
    password = settings.admin_password.get_secret_value()
    if settings.admin_email and password and not account_exists(session):
        create_first_admin(session, settings.admin_email.strip().lower(), password)


def create_user(session: Session, email: str, password: str, role: Role) -> User:
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"An account for {email} already exists.", field="email")
    user = User(name=email, email=email, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str, client: str) -> User:
    limiter = signin_limiter()
    keys = (f"address:{client}", f"account:{email}")
    if not limiter.allowed(*keys):
        raise TooManyRequests("Too many failed sign-ins: wait a minute, then try again.")
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not verify_password(password, user.password_hash) or not user.active:
        limiter.failed(*keys)
        raise Unauthorized("Wrong email or password.", field="password")
    return user


def start_session(session: Session, user: User) -> str:
    secret = new_secret()
    expires_at = utcnow() + timedelta(hours=get_settings().session_hours)
    session.add(UserSession(user_id=user.id, token_hash=secret_hash(secret), expires_at=expires_at))
    return secret


def end_session(session: Session, secret: str) -> None:
    found = session.scalar(select(UserSession).where(UserSession.token_hash == secret_hash(secret)))
    if found is not None:
        session.delete(found)


def user_for_session(session: Session, secret: str) -> User | None:
    found = session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == secret_hash(secret), UserSession.expires_at > utcnow())
    )
    return found if found is not None and found.active else None


def user_for_api_token(session: Session, secret: str) -> User | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == secret_hash(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # The condition is repeated in the statement: requests that read the same stale time queue on the row's lock,
        # and each one after the first finds it fresh and leaves it (no write, no lock held to the end of its request).
        stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION)
        session.execute(update(ApiToken).where(ApiToken.id == token.id, stale).values(last_used_at=now))
    user = session.get(User, token.user_id)
    return user if user is not None and user.active else None


def user_for_bearer(session: Session, secret: str) -> User | None:
    if secret.startswith(API_TOKEN_PREFIX):
        return user_for_api_token(session, secret)
    return user_for_session(session, secret)


def sign_up(session: Session, request: SignUp) -> User:
    if not account_exists(session):
        raise Forbidden("The studio has no admin yet: create the admin account first.")
    role = Role.MEMBER
    invitation: Invitation | None = None
    if request.invitation:
        invitation = session.scalar(
            select(Invitation).where(Invitation.token_hash == secret_hash(request.invitation)).with_for_update()
        )
        if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= utcnow():
            raise Forbidden("This invitation is not valid (used, expired or withdrawn): ask the admin for a new one.")
        if invitation.email != request.email:
            raise Forbidden(f"This invitation is for {invitation.email}.", field="email")
        role = invitation.role
    elif not open_signup(session):
        raise Forbidden("Sign-up is by invitation only: ask the studio's admin for an invitation link.")
    user = create_user(session, request.email, request.password, role)
    if invitation is not None:
        invitation.accepted_at = utcnow()
    return user


def create_api_token(session: Session, user: User, request: ApiTokenCreate) -> tuple[ApiToken, str]:
    secret = new_secret(API_TOKEN_PREFIX)
    expires_at = utcnow() + timedelta(days=request.expires_in_days) if request.expires_in_days else None
    token = ApiToken(
        user_id=user.id,
        name=request.name,
        prefix=secret[: len(API_TOKEN_PREFIX) + 6],
        token_hash=secret_hash(secret),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, secret


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_api_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"You have no API token {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
