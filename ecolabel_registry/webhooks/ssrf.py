"""Callback URLs may not point the registry at itself or its network (server-side request forgery).

A callback is refused when its host resolves to any loopback, private, link-local, multicast,
reserved or unspecified address, unless the operator allows private callbacks. The check runs when a
subscription is created and again before every delivery, since DNS answers can change (rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from ecolabel_registry.errors import ValidationFailed


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationFailed(f"callback host {host!r} does not resolve", code="CALLBACK_UNRESOLVABLE") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def check_callback(url: str, *, allow_private: bool) -> None:
    """Raise `ValidationFailed` unless `url` is an http(s) URL to a public address (or private is allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("a callback is an http or https URL with a host", code="CALLBACK_SCHEME")
    if parts.username or parts.password:
        raise ValidationFailed("a callback URL may not carry credentials", code="CALLBACK_CREDENTIALS")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in _resolve(parts.hostname, port):
        if not address.is_global and not allow_private:
            raise ValidationFailed(
                f"callback host {parts.hostname!r} resolves to a non-public address ({address})",
                code="CALLBACK_NOT_PUBLIC",
            )
