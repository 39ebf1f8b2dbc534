"""Where a judge may point, checked when it is saved: a member's judge calls out from the studio's machine, so only
public addresses (backend.core.addresses); admins may point one anywhere. The worker checks again on every call."""

import socket
from urllib.parse import urlsplit

from backend.core.addresses import first_internal, resolve
from backend.core.errors import Invalid
from backend.models import User


def check_allowed(user: User, base_url: str) -> None:
    if user.is_admin:
        return
    host = urlsplit(base_url).hostname or ""
    try:
        addresses = resolve(host)
    except (socket.gaierror, UnicodeError):
        return  # a name that does not resolve reaches nothing; the worker checks again when it calls
    internal = first_internal(addresses)
    if internal is not None:
        raise Invalid(
            f"base_url: {host} is {internal.address}, {internal.kind} inside the studio's network; only an admin can "
            "add a judge there (ask one), or use a public endpoint",
            field="base_url",
        )
