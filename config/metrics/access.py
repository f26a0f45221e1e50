"""Who may read /metrics: a bearer token, or a client on a private network.

Everyone else gets the site's ordinary 404, so the endpoint's existence is not
revealed. Never public.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from config.ratelimit import client_ip


def _token_matches(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    if not expected:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and constant_time_compare(given.strip(), expected)


def is_private_address(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return True
    if isinstance(address, ipaddress.IPv4Address):
        return any(address in network for network in _RFC1918)
    return address in _ULA


_RFC1918 = tuple(
    ipaddress.ip_network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_ULA = ipaddress.ip_network("fc00::/7")


def _from_private_network(request: HttpRequest) -> bool:
    if not settings.METRICS_ALLOW_PRIVATE_NETWORKS:
        return False
    # With TRUSTED_PROXY_COUNT at 0 a forwarded request means a proxy nobody told
    # us about: REMOTE_ADDR is then the proxy's private address, not the client's.
    if settings.TRUSTED_PROXY_COUNT <= 0 and request.META.get("HTTP_X_FORWARDED_FOR"):
        return False
    return is_private_address(client_ip(request))


def metrics_allowed(request: HttpRequest) -> bool:
    return _token_matches(request) or _from_private_network(request)
