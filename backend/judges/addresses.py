"""Where a judge may point: a member's judge calls out from the studio's machine, so an address inside its network
(loopback, private, link-local: a database, a cloud metadata service) would let a member reach what only the machine
should. Those are for admins; public endpoints are for everyone."""

import ipaddress
import socket
from urllib.parse import urlsplit

from backend.core.errors import Invalid
from backend.models import User


def internal_address(base_url: str) -> str | None:
    """The first address of the URL's host that is inside the machine's network, or None when all are public (or the
    name does not resolve: then no call can reach anything either)."""
    host = urlsplit(base_url).hostname or ""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return None
    for address in sorted(addresses):
        ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 scope ("fe80::1%eth0") is not part of the address
        if not ip.is_global:
            return address
    return None


def check_allowed(user: User, base_url: str) -> None:
    if user.is_admin:
        return
    address = internal_address(base_url)
    if address is not None:
        raise Invalid(
            f"base_url: {urlsplit(base_url).hostname} is {address}, an address inside the studio's network; only an "
            "admin can add a judge there (ask one), or use a public endpoint",
            field="base_url",
        )
