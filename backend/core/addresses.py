"""Where the studio's machine may call on a member's behalf (a judge's endpoint): public addresses only. An address
inside the machine's network (loopback, private, link-local: a database, a cloud metadata service) would let a member
reach what only the machine should; those are for admins. The rule is checked when a judge or a run's webhook is
saved (backend.judges.addresses, backend.webhooks.service) and again on every call (PublicOnlyTransport, in the worker), since a name can resolve
elsewhere by then (DNS rebinding)."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True)
class InternalAddress:
    address: str
    kind: str  # "a loopback address", "a private address"...


def _kind(address: str) -> str | None:
    """What the address is when it is not public, else None."""
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 scope ("fe80::1%eth0") is not part of the address
    if ip.is_global:
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    return "an address that is not public"  # reserved, multicast, shared (100.64.0.0/10)...


def resolve(host: str, port: int | None = None) -> list[str]:
    """The host's addresses in the resolver's order, without repeats; socket.gaierror or UnicodeError when the name
    does not resolve."""
    return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


def first_internal(addresses: list[str]) -> InternalAddress | None:
    """The first (in sorted order, so the same one each time) of the addresses that is not public."""
    for address in sorted(addresses):
        kind = _kind(address)
        if kind is not None:
            return InternalAddress(address, kind)
    return None


def internal_host(url: str) -> tuple[str, InternalAddress] | None:
    """The URL's host and the first of its addresses that is not public; None when all are public, or when the name
    does not resolve (it reaches nothing; the call checks again)."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = resolve(host)
    except (socket.gaierror, UnicodeError):
        return None
    internal = first_internal(addresses)
    return None if internal is None else (host, internal)


class AddressRefused(Exception):
    def __init__(self, host: str, internal: InternalAddress) -> None:
        super().__init__(f"{host} resolves to {internal.address}, {internal.kind}")
        self.host = host
        self.internal = internal


class PublicOnlyTransport(httpx.BaseTransport):
    """Calls public addresses only. It resolves each request's host itself, raises AddressRefused when any of the
    addresses is not public, and connects to the addresses it checked (the URL's host replaced by the address; the
    Host header and TLS's server name stay the name's): the name cannot resolve one way for the check and another
    for the connection. Environment proxies are not used (httpx ignores them with a transport given): a proxy would
    reach whatever it is asked to."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._transport = httpx.HTTPTransport(limits=limits)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        try:
            addresses = resolve(host, request.url.port)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpx.ConnectError(f"could not resolve {host}: {exc}", request=request) from None
        internal = first_internal(addresses)
        if internal is not None:
            raise AddressRefused(host, internal)
        failure: httpx.ConnectError | None = None
        for address in addresses:  # as socket.create_connection does: the next address when one refuses
            pinned = httpx.Request(
                request.method,
                request.url.copy_with(host=address),
                headers=request.headers,  # its Host header names the host, not the address
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": host},
            )
            try:
                return self._transport.handle_request(pinned)
            except httpx.ConnectError as exc:
                failure = exc
        assert failure is not None  # getaddrinfo answers at least one address or raises
        raise failure

    def close(self) -> None:
        self._transport.close()
