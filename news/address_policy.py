"""Which schemes, ports and addresses the safe fetcher may reach.

Plain rules over the standard library, kept apart from the HTTP machinery so
they can be read and tested on their own. The one I/O step is name resolution,
done through an injectable resolver; the fetcher connects only to addresses
this module has approved.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses the host resolves to, as text.
Resolver = Callable[[str, int], Sequence[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
STANDARD_PORTS = frozenset({80, 443})

_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
# libc's inet_aton, and so getaddrinfo, reads hosts made only of one to four
# decimal, octal or hex parts as IPv4 addresses: 2130706433, 0x7f000001, 127.1.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.IGNORECASE)


class TargetRefusedError(Exception):
    """The scheme, port or address is outside the policy; the message says which."""


class ResolutionError(Exception):
    """The host name could not be resolved to any address."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def literal_address(host: str) -> IPAddress | None:
    """The address a host names directly, in any spelling libc accepts, or None for a name."""
    candidate = host.removeprefix("[").removesuffix("]")
    if ":" in candidate:
        # A zone index (fe80::1%eth0, %25 when URL-encoded) does not change the address class.
        candidate = candidate.split("%", 1)[0]
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        pass
    if not _NUMERIC_HOST.match(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
    except OSError:
        raise TargetRefusedError(f"Refused: {host} is not a valid address") from None


def non_public_reason(address: IPAddress) -> str | None:
    """Why the address is not a public unicast address ("a loopback address"), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL_USE:
            return "a local-use NAT64 address"
        for inner in _embedded_ipv4(address):
            reason = non_public_reason(inner)
            if reason:
                return reason
        if address.teredo:
            return "a Teredo tunnel address"
        if address.ipv4_mapped or address in _NAT64_WELL_KNOWN:
            # Python files all of 64:ff9b::/96 as reserved; NAT64 of a public
            # address is how IPv6-only networks reach IPv4 sites.
            return None
        if address.is_site_local:
            return "a site-local address"
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address in _SHARED_ADDRESS_SPACE, "a shared (carrier-grade NAT) address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "a non-public address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses that traffic to this IPv6 address is delivered to."""
    embedded: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped:
        embedded.append(address.ipv4_mapped)
    if address in _NAT64_WELL_KNOWN:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour:
        embedded.append(address.sixtofour)
    if address.teredo:
        embedded.extend(address.teredo)
    return embedded


def _never_allowed(address: IPAddress) -> bool:
    # No allow-list entry can make these a web server.
    return address.is_multicast or address.is_unspecified


class AddressPolicy:
    """The rules for one fetcher: fixed standard ports, public addresses only, and
    the operator's allow-list of private hosts.

    Allow-list entries are "host" (that host may resolve to private addresses) or
    "host:port" / "[v6]:port" (the same, on that port only, and the port is
    allowed). Entries match the URL's host exactly, ignoring case and a trailing
    dot: allowing 127.0.0.1 does not allow 2130706433.
    """

    def __init__(
        self, *, allow_private_hosts: Iterable[str] = (), resolver: Resolver | None = None
    ):
        self._resolver = resolver or system_resolver
        self._hosts: set[str] = set()
        self._host_ports: set[tuple[str, int]] = set()
        for entry in allow_private_hosts:
            host, port = _parse_allow_entry(entry)
            if port is None:
                self._hosts.add(host)
            else:
                self._host_ports.add((host, port))

    def allows_port(self, host: str, port: int) -> bool:
        return port in STANDARD_PORTS or (_normal(host), port) in self._host_ports

    def allows_private(self, host: str, port: int) -> bool:
        host = _normal(host)
        return (host, port) in self._host_ports or (host in self._hosts and port in STANDARD_PORTS)

    def check_target(self, scheme: str, host: str, port: int) -> None:
        """Refuse what can be refused before any lookup: scheme, port and literal addresses."""
        if scheme not in ALLOWED_SCHEMES:
            raise TargetRefusedError(
                f"Refused: only http and https URLs are fetched, not {scheme}:"
            )
        if not host:
            raise TargetRefusedError("Refused: the URL has no host")
        if not self.allows_port(host, port):
            raise TargetRefusedError(
                f"Refused: port {port} is not allowed for {host} (only 80 and 443)"
            )
        address = literal_address(host)
        if address is not None:
            self._check(host, port, address, resolved=False)

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address of the host, each one checked. Connect only to these."""
        literal = literal_address(host)
        if literal is not None:
            self._check(host, port, literal, resolved=False)
            return [literal]
        try:
            answers = self._resolver(host, port)
        except (OSError, UnicodeError) as error:
            raise ResolutionError(f"DNS lookup failed for host {host} ({error})") from error
        if not answers:
            raise ResolutionError(f"DNS lookup failed for host {host} (no addresses)")
        try:
            addresses = [ipaddress.ip_address(answer) for answer in answers]
        except ValueError as error:
            raise ResolutionError(f"DNS lookup failed for host {host} ({error})") from error
        # One bad answer refuses the host: a resolver that mixes a public and a
        # private address could hand out either on the next lookup.
        for address in addresses:
            self._check(host, port, address, resolved=True)
        return addresses

    def _check(self, host: str, port: int, address: IPAddress, *, resolved: bool) -> None:
        reason = non_public_reason(address)
        if reason is None:
            return
        if self.allows_private(host, port) and not _never_allowed(address):
            return
        if resolved:
            raise TargetRefusedError(f"Refused: {host} resolves to {reason} ({address})")
        # Odd IPv4 spellings get the address spelled out; IPv6 ones read plainly enough.
        spelled_out = "" if address.version == 6 or str(address) == host else f" ({address})"
        raise TargetRefusedError(f"Refused: {host} is {reason}{spelled_out}")


def _normal(host: str) -> str:
    return host.lower().removeprefix("[").removesuffix("]").rstrip(".")


def _parse_allow_entry(entry: str) -> tuple[str, int | None]:
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        separator, port_text = rest[:1], rest[1:]
    elif entry.count(":") == 1:
        host, separator, port_text = entry.partition(":")
    else:
        host, separator, port_text = entry, "", ""
    if not host or separator not in ("", ":") or (separator and not port_text.isdigit()):
        raise ValueError(f"Invalid FETCH_ALLOW_PRIVATE_HOSTS entry: {entry!r}")
    return _normal(host), int(port_text) if separator else None
