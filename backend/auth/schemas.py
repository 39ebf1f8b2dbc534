from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from backend.auth.credentials import MIN_PASSWORD_LENGTH
from backend.models import Role

# Any address with one @: studios on a private network use their own domains (.local, .internal, .test).
Email = Annotated[
    str,
    AfterValidator(str.lower),
    Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320, description="The sign-in name: an email address, any case."),
]
Password = Annotated[
    str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=200, description="At least 8 characters.", repr=False)
]


class UserOut(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    email: str
    role: Role
    active: bool
    created_at: datetime


class AuthState(BaseModel):
    """What the sign-in screen needs to know before anyone is signed in."""

    needs_admin: bool = Field(description="No account exists yet: the first screen creates the admin.")
    setup_allowed: bool = Field(
        description="The browser may create that admin here (loopback only); otherwise set STUDIO_ADMIN_EMAIL and "
        "STUDIO_ADMIN_PASSWORD."
    )
    open_signup: bool = Field(description="Anyone may create a member account; otherwise by invitation only.")


class SignIn(BaseModel):
    email: Email
    password: str = Field(max_length=200, repr=False)


class SignUp(BaseModel):
    email: Email
    password: Password
    invitation: str | None = Field(None, max_length=200, description="The secret from an admin's invitation link.")


class AccessToken(BaseModel):
    """OAuth2's password-grant answer (FastAPI's convention)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"


class ApiTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="What the token is for, e.g. 'CI pipeline'.")
    expires_in_days: int | None = Field(
        90, ge=1, le=3650, description="Days until the token stops working; null: never (not recommended)."
    )


class ApiTokenOut(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="The token itself: shown this once, stored only as a hash.")
