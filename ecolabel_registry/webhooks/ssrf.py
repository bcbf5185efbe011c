"""Callback URLs may not point the registry at itself or its network (server-side request forgery).

A callback is refused when its host resolves to any address that is not public unicast: loopback,
private, shared (RFC 6598), link-local, site-local, multicast, broadcast, reserved or unspecified,
and any IPv6 address that embeds such an IPv4 address (IPv4-mapped, NAT64 per RFC 6052, 6to4 per
RFC 3056), unless the operator allows private callbacks. Port 0 is refused too.

The check runs when a subscription is created and again before every delivery, since DNS answers
change. The delivery then connects to the very address that was checked (`Callback.url`), sending
the original host in `Host` and, for https, in TLS SNI (httpcore's `sni_hostname` request extension,
so the certificate is verified against the name): a second DNS lookup at connect time could answer
differently (DNS rebinding), so there is none.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from urllib.parse import urlsplit

import httpx

from ecolabel_registry.errors import ValidationFailed

Address = IPv4Address | IPv6Address
_NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")  # RFC 6052 §2.1: the IPv4 address is the last 32 bits
# RFC 8215 local-use NAT64: only meaningful inside one network, and where the IPv4 address sits
# depends on a prefix length the registry cannot know, so none of it is public.
_NAT64_LOCAL_USE = IPv6Network("64:ff9b:1::/48")


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 host an IPv6 address reaches through a translation or tunnel, if it names one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64_WELL_KNOWN:
        return IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def is_public_address(address: Address) -> bool:
    """Whether a callback may reach `address`: globally routable unicast, judged through any embedding."""
    if isinstance(address, IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public_address(inner)
        if address in _NAT64_LOCAL_USE or address.teredo is not None or address.is_site_local:
            return False
    # is_global alone admits multicast (224.0.0.0/4, ff00::/8) and, in IPv6, reserved ranges.
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
    )


@dataclass(frozen=True)
class Callback:
    """Where to send a delivery: the checked address in the URL, the original host for Host and SNI."""

    url: str
    host_header: str
    sni_hostname: str | None

    @property
    def extensions(self) -> dict[str, str]:
        return {"sni_hostname": self.sni_hostname} if self.sni_hostname else {}


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationFailed(f"callback host {host!r} does not resolve", code="CALLBACK_UNRESOLVABLE") from exc
    # An IPv6 answer may carry a zone ("fe80::1%eth0"); the zone is not part of the address judged.
    return [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]


def check_callback(url: str, *, allow_private: bool) -> Callback:
    """Raise `ValidationFailed` unless `url` is an http(s) URL to a public address (or private is allowed).

    Returns where to connect: the first address the host resolved to, every one of which was checked.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("a callback is an http or https URL with a host", code="CALLBACK_SCHEME")
    if parts.username or parts.password:
        raise ValidationFailed("a callback URL may not carry credentials", code="CALLBACK_CREDENTIALS")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed("a callback port is a number from 1 to 65535", code="CALLBACK_PORT") from exc
    if port == 0:
        raise ValidationFailed("a callback port is a number from 1 to 65535", code="CALLBACK_PORT")
    host = parts.hostname
    addresses = _resolve(host, port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        raise ValidationFailed(f"callback host {host!r} does not resolve", code="CALLBACK_UNRESOLVABLE")
    for address in addresses:
        if not allow_private and not is_public_address(address):
            raise ValidationFailed(
                f"callback host {host!r} resolves to a non-public address ({address})",
                code="CALLBACK_NOT_PUBLIC",
            )
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    return Callback(
        url=str(httpx.URL(url).copy_with(host=str(addresses[0]))),
        host_header=parts.netloc,
        # RFC 6066 §3: SNI carries a host name, never an address literal.
        sni_hostname=host if parts.scheme == "https" and literal is None else None,
    )
