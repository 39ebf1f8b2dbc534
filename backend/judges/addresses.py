"""Where a judge may point, checked when it is saved: a member's judge calls out from the studio's machine, so only
public addresses (backend.core.addresses); admins may point one anywhere. The worker checks again on every call."""

from backend.core.addresses import internal_host
from backend.core.errors import Invalid
from backend.models import User


def check_allowed(user: User, base_url: str) -> None:
    if user.is_admin:
        return
    found = internal_host(base_url)
    if found is not None:
        host, internal = found
        raise Invalid(
            f"base_url: {host} is {internal.address}, {internal.kind} inside the studio's network; only an admin can "
            "add a judge there (ask one), or use a public endpoint",
            field="base_url",
        )
