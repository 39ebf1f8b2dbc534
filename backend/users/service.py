"""The admin's side of accounts: users, invitations, and whether sign-up is open."""

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from backend.auth.credentials import new_secret, secret_hash
from backend.core.errors import Conflict, NotFound
from backend.models import AccessPolicy, ApiToken, Invitation, Role, User, UserSession, utcnow
from backend.users.schemas import InvitationCreate, UserUpdate


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.email.is_not(None)).order_by(User.id)))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.email is None:
        raise NotFound(f"User {user_id} does not exist.")
    return user


def update_user(session: Session, user: User, request: UserUpdate) -> User:
    demoted = request.role is not None and request.role != Role.ADMIN
    if user.is_admin and (demoted or request.active is False) and _active_admins(session) <= 1:
        raise Conflict("The studio needs at least one active admin: make another user admin first.")
    if request.role is not None:
        user.role = request.role
    if request.active is not None:
        user.active = request.active
        if not request.active:
            # Signed out everywhere at once: sessions end, API tokens stop.
            session.execute(delete(UserSession).where(UserSession.user_id == user.id))
            session.execute(
                update(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).where(User.role == Role.ADMIN, User.active.is_(True))) or 0


def create_invitation(session: Session, acting: User, request: InvitationCreate) -> tuple[Invitation, str]:
    if session.scalar(select(User.id).where(User.email == request.email)) is not None:
        raise Conflict(f"{request.email} already has an account.", field="email")
    secret = new_secret()
    invitation = Invitation(
        email=request.email,
        role=request.role,
        token_hash=secret_hash(secret),
        invited_by_id=acting.id,
        expires_at=utcnow() + timedelta(days=request.expires_in_days),
    )
    session.add(invitation)
    session.flush()
    return invitation, secret


def list_invitations(session: Session) -> list[Invitation]:
    return list(session.scalars(select(Invitation).order_by(Invitation.id.desc())))


def withdraw_invitation(session: Session, invitation_id: int) -> None:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(f"Invitation {invitation_id} does not exist.")
    session.delete(invitation)


def access_policy(session: Session) -> AccessPolicy:
    policy = session.get(AccessPolicy, 1)
    if policy is None:
        policy = AccessPolicy(id=1, open_signup=False)
        session.add(policy)
    return policy
