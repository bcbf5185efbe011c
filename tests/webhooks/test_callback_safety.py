"""Callbacks may not aim the registry at loopback, private or link-local addresses (SSRF)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from ecolabel_registry.webhooks.ssrf import is_public_address
from tests.webhooks.world import OPERATOR


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://255.255.255.255/hook",
        "http://100.64.0.1/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[64:ff9b::a00:1]/hook",
        "http://[64:ff9b:1::808:808]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://[2002:a9fe:a9fe::]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::7f00:1]/hook",
        "http://[ff02::1]/hook",
        "http://[fec0::1]/hook",
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
    ],
    ids=[
        "loopback",
        "localhost",
        "private-10",
        "private-192",
        "cloud-metadata",
        "ipv6-loopback",
        "unspecified",
        "multicast",
        "broadcast",
        "shared-address-space",
        "nat64-of-loopback",
        "nat64-of-private",
        "local-use-nat64",
        "6to4-of-loopback",
        "6to4-of-cloud-metadata",
        "ipv4-mapped-loopback",
        "ipv4-compatible-loopback",
        "ipv6-multicast",
        "ipv6-site-local",
        "ipv6-unique-local",
        "ipv6-link-local",
    ],
)
def test_a_callback_to_a_non_public_address_is_refused(client: TestClient, url: str) -> None:
    response = client.post(
        "/v1/subscriptions", json={"callback_url": url, "watch": "programme", "target": "x"}, headers=OPERATOR
    )
    assert response.status_code == 422
    assert response.json()["code"] == "CALLBACK_NOT_PUBLIC"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://user:secret@example.org/hook", "CALLBACK_CREDENTIALS"),
        ("http://no-such-host.invalid/hook", "CALLBACK_UNRESOLVABLE"),
        ("http://8.8.8.8:0/hook", "CALLBACK_PORT"),
        ("https://[2606:4700::1111]:0/hook", "CALLBACK_PORT"),
    ],
    ids=["credentials-in-url", "unresolvable", "port-zero", "ipv6-port-zero"],
)
def test_other_unusable_callbacks_are_refused(client: TestClient, url: str, code: str) -> None:
    response = client.post(
        "/v1/subscriptions", json={"callback_url": url, "watch": "programme", "target": "x"}, headers=OPERATOR
    )
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_a_non_http_callback_is_a_validation_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/subscriptions",
        json={"callback_url": "file:///etc/passwd", "watch": "programme", "target": "x"},
        headers=OPERATOR,
    )
    assert response.status_code == 422


_V4 = st.integers(min_value=0, max_value=2**32 - 1).map(IPv4Address)


@settings(deadline=None)
@given(_V4)
def test_an_ipv6_address_that_embeds_an_ipv4_one_is_judged_by_that_ipv4_address(inner: IPv4Address) -> None:
    """NAT64 (RFC 6052), 6to4 (RFC 3056) and IPv4-mapped addresses reach the IPv4 host they embed."""
    word = int(inner)
    nat64 = IPv6Address((0x0064_FF9B << 96) | word)
    six_to_four = IPv6Address((0x2002 << 112) | (word << 80))
    mapped = IPv6Address((0xFFFF << 32) | word)
    expected = is_public_address(inner)
    assert is_public_address(nat64) == expected
    assert is_public_address(six_to_four) == expected
    assert is_public_address(mapped) == expected


@settings(deadline=None)
@given(_V4)
def test_a_public_ipv4_address_is_global_unicast(address: IPv4Address) -> None:
    if is_public_address(address):
        assert address.is_global
        assert not address.is_multicast
        assert not address.is_reserved
        assert not address.is_private


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::"])
def test_public_addresses_are_usable(address: str) -> None:
    assert is_public_address(ip_address(address))
