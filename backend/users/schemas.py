from datetime import datetime

from pydantic import BaseModel, Field

from backend.auth.schemas import Email, Password
from backend.models import Role


class UserCreate(BaseModel):
    email: Email
    password: Password
    role: Role = Role.MEMBER


class UserUpdate(BaseModel):
    role: Role | None = None
    active: bool | None = Field(None, description="False: the user can no longer sign in; their tokens stop working.")


class InvitationCreate(BaseModel):
    email: Email
    role: Role = Role.MEMBER
    expires_in_days: int = Field(7, ge=1, le=90)


class InvitationOut(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


class InvitationCreated(InvitationOut):
    secret: str = Field(description="Shown this once: the invitee opens /signup?invitation=<secret>.")


class AccessPolicyOut(BaseModel):
    model_config = {"from_attributes": True}

    open_signup: bool = Field(description="Anyone who reaches the studio may create a member account.")
