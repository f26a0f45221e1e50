import ipaddress
import socket

import pytest

from news.address_policy import (
    AddressPolicy,
    ResolutionError,
    TargetRefusedError,
    literal_address,
    non_public_reason,
    system_resolver,
)


def fixed_resolver(*answers: str):
    calls: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return list(answers)

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.255.0.9", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.254", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("100.127.255.254", "a shared (carrier-grade NAT) address"),
        ("fc00::1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("fec0::1", "a site-local address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104
        ("::", "an unspecified address"),
        ("240.0.0.1", "a private address"),
        ("255.255.255.255", "a private address"),
        ("192.0.2.10", "a private address"),
        # IPv6 forms that deliver to an IPv4 address are judged by that address.
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("::ffff:169.254.169.254", "a link-local address"),
        ("64:ff9b::7f00:1", "a loopback address"),
        ("64:ff9b::a9fe:a9fe", "a link-local address"),
        ("64:ff9b:1::7f00:1", "a local-use NAT64 address"),
        ("2002:7f00:1::1", "a loopback address"),
        ("2002:c0a8:101::1", "a private address"),
        # Teredo: server 65.54.227.120, client 127.0.0.1 (obfuscated as 0x80ff.fffe).
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "a loopback address"),
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "a Teredo tunnel address"),
        ("::7f00:1", "a reserved address"),
    ],
)
def test_non_public_addresses_are_named(address, reason):
    assert non_public_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1"],
)
def test_public_addresses_pass(address):
    assert non_public_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),  # noqa: S104
        ("[::1]", "::1"),
        ("fe80::1%25eth0", "fe80::1"),
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
    ],
)
def test_numeric_spellings_are_read_as_addresses(host, address):
    assert literal_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "1password.com", "123.example", "localhost"])
def test_names_are_not_addresses(host):
    assert literal_address(host) is None


def test_out_of_range_numbers_are_refused():
    with pytest.raises(TargetRefusedError, match="not a valid address"):
        literal_address("99999999999")


@pytest.mark.parametrize("scheme", ["file", "ftp", "gopher", "data", "javascript", "ws"])
def test_only_http_and_https_are_allowed(scheme):
    with pytest.raises(TargetRefusedError, match=f"not {scheme}:"):
        AddressPolicy().check_target(scheme, "example.com", 80)


def test_ports_other_than_80_and_443_need_a_host_port_entry():
    policy = AddressPolicy(allow_private_hosts=["feeds.internal", "intranet.test:8080"])
    policy.check_target("https", "example.com", 443)
    policy.check_target("http", "example.com", 80)
    with pytest.raises(TargetRefusedError, match=r"port 8080 is not allowed for example\.com"):
        policy.check_target("http", "example.com", 8080)
    # A bare host entry allows private addresses, not other ports.
    with pytest.raises(TargetRefusedError, match="port 8080"):
        policy.check_target("http", "feeds.internal", 8080)
    policy.check_target("http", "INTRANET.test.", 8080)


def test_literal_addresses_are_refused_before_any_lookup():
    resolver = fixed_resolver("93.184.216.34")
    policy = AddressPolicy(resolver=resolver)
    with pytest.raises(
        TargetRefusedError, match=r"^Refused: 2130706433 is a loopback address \(127.0.0.1\)$"
    ):
        policy.check_target("http", "2130706433", 80)
    with pytest.raises(TargetRefusedError, match=r"^Refused: 10.0.0.5 is a private address$"):
        policy.resolve("10.0.0.5", 80)
    assert resolver.calls == []


def test_a_name_resolving_to_a_private_address_is_refused():
    policy = AddressPolicy(resolver=fixed_resolver("10.0.0.5"))
    with pytest.raises(TargetRefusedError) as caught:
        policy.resolve("example.internal", 443)
    assert str(caught.value) == "Refused: example.internal resolves to a private address (10.0.0.5)"


def test_one_private_answer_among_public_ones_refuses_the_host():
    policy = AddressPolicy(resolver=fixed_resolver("93.184.216.34", "192.168.0.7"))
    with pytest.raises(TargetRefusedError, match=r"private address \(192.168.0.7\)"):
        policy.resolve("mixed.example", 443)


def test_public_answers_are_returned_in_order():
    policy = AddressPolicy(resolver=fixed_resolver("93.184.216.34", "2606:2800:220:1::248"))
    assert [str(a) for a in policy.resolve("example.com", 443)] == [
        "93.184.216.34",
        "2606:2800:220:1::248",
    ]


def test_allow_listed_hosts_may_be_private_but_never_multicast_or_unspecified():
    policy = AddressPolicy(
        allow_private_hosts=["feeds.internal", "[::1]:8443"],
        resolver=fixed_resolver("10.0.0.5", "127.0.0.1"),
    )
    assert len(policy.resolve("feeds.internal", 443)) == 2
    assert policy.resolve("::1", 8443) == [ipaddress.ip_address("::1")]
    with pytest.raises(TargetRefusedError):
        policy.resolve("::1", 443)
    with pytest.raises(TargetRefusedError):
        policy.resolve("other.internal", 443)
    everywhere = "0.0.0.0"  # noqa: S104
    unspecified = AddressPolicy(
        allow_private_hosts=["feeds.internal"], resolver=fixed_resolver(everywhere)
    )
    with pytest.raises(TargetRefusedError, match="unspecified"):
        unspecified.resolve("feeds.internal", 443)


def test_allow_list_matches_the_exact_host_spelling():
    policy = AddressPolicy(allow_private_hosts=["127.0.0.1"])
    policy.resolve("127.0.0.1", 80)
    with pytest.raises(TargetRefusedError):
        policy.resolve("2130706433", 80)


@pytest.mark.parametrize("entry", ["host:", "host:http", "[::1]8080", ":80", ""])
def test_malformed_allow_list_entries_are_rejected(entry):
    with pytest.raises(ValueError, match="FETCH_ALLOW_PRIVATE_HOSTS"):
        AddressPolicy(allow_private_hosts=[entry])


def test_lookup_failures_are_resolution_errors():
    def failing(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ResolutionError, match=r"DNS lookup failed for host nowhere\.test"):
        AddressPolicy(resolver=failing).resolve("nowhere.test", 443)
    with pytest.raises(ResolutionError, match="no addresses"):
        AddressPolicy(resolver=fixed_resolver()).resolve("empty.test", 443)
    with pytest.raises(ResolutionError):
        AddressPolicy(resolver=fixed_resolver("not-an-ip")).resolve("odd.test", 443)


def test_the_system_resolver_reads_numeric_spellings_as_loopback():
    # getaddrinfo parses these itself (inet_aton); no DNS query is made.
    for host in ("localhost", "2130706433", "0x7f000001", "0177.0.0.1", "127.1"):
        assert all(ipaddress.ip_address(a).is_loopback for a in system_resolver(host, 80))
