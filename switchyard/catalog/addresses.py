"""Which upstream base URLs and names the catalog accepts: one pure check, used everywhere.

A `baseUrl` is dialled by the router and the probes with a provider key attached, so a
manifest (or a hand-written router config) must not be able to point them at the node's
cloud-metadata service or anything else link-local. Hosts are judged as an HTTP client would
read them: an IPv4 address in any spelling browsers and libc accept (`2852039166`,
`0xA9FEA9FE`, `0251.0376.0251.0376`, `169.254.43518`), IPv6 with the IPv4 forms embedded in it,
and the well-known metadata host names. DNS names are judged by name only (nothing is
resolved here). Private and loopback addresses stay allowed: local providers (Ollama, vLLM)
live there.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# Cloud metadata and platform endpoints outside 169.254.0.0/16 and fe80::/10.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
        "168.63.129.16",  # Azure WireServer
    )
)
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
# IPv6 ranges that carry an IPv4 address inside: a client may reach that IPv4 through them.
EMBEDDING_V6 = tuple(
    ipaddress.ip_network(n)
    for n in (
        "::ffff:0:0/96",  # IPv4-mapped
        "::/96",  # IPv4-compatible (deprecated), and ::, ::1 handled before
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "2002::/16",  # 6to4
        "2001::/32",  # Teredo
    )
)
_PORT = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
# The field pattern (CRD and pydantic): http(s), a bracketed IPv6 or a host without userinfo,
# percent-encoding or backslashes, an optional port 1-65535, then an optional /path.
BASE_URL_PATTERN = (
    r"^https?://(\[[0-9A-Fa-f:.]+\]|[^\s/@\\:\[\]%?#]+)(:" + _PORT + r")?(/[^\s\\]*)?$"
)
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$")
_NUMERIC = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")

# Caller-facing group names: what model ids contain (org/model, name:tag, v1.5, @cf/...),
# never empty, whitespace, `..` or `//` (path tricks), at most 256 characters.
GROUP_NAME_PATTERN = r"^[A-Za-z0-9_@]([A-Za-z0-9._:/@+-]{0,254}[A-Za-z0-9_])?$"
# Kubernetes object names: DNS-1123 label (Provider, referenced by targets) and subdomain.
DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"


def group_name_problem(name: str) -> str | None:
    if not re.fullmatch(GROUP_NAME_PATTERN, name):
        return (
            "a group name is 1-256 characters: letters, digits and . _ : / @ + -, "
            "starting and ending with a letter, digit or _ (@ may start it)"
        )
    if ".." in name or "//" in name:
        return "a group name must not contain '..' or '//'"
    return None


def dns_label_problem(name: str) -> str | None:
    if not re.fullmatch(DNS_LABEL_PATTERN, name):
        return "must be a DNS-1123 label: at most 63 lowercase letters, digits and '-'"
    return None


def dns_subdomain_problem(name: str) -> str | None:
    if len(name) > 253 or not re.fullmatch(DNS_SUBDOMAIN_PATTERN, name):
        return "must be a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' and '.'"
    return None


def _ipv4_loose(host: str) -> ipaddress.IPv4Address:
    """The WHATWG URL IPv4 parser (as inet_aton): 1-4 parts, hex/octal/decimal, the last part
    filling the remaining bytes. Raises ValueError when the host is numeric but no address."""
    parts = host.split(".")
    if len(parts) > 4 or any(p == "" for p in parts):
        raise ValueError(host)
    numbers = []
    for p in parts:
        if p.startswith("0x"):
            numbers.append(int(p[2:] or "0", 16))
        elif len(p) > 1 and p.startswith("0"):
            numbers.append(int(p, 8))
        else:
            numbers.append(int(p, 10))
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(host)
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a literal address is refused outright ("" when only the opt-in allows it)."""
    if ip.is_unspecified or ip.is_multicast or ip == ipaddress.IPv4Address("255.255.255.255"):
        return f"{ip} is not a unicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.IPv4Network("0.0.0.0/8"):
        return f"{ip} is not a unicast address"
    if isinstance(ip, ipaddress.IPv6Address) and not ip.is_loopback:
        for net in EMBEDDING_V6:
            if ip in net:
                return f"{ip} embeds an IPv4 address ({net}); write the IPv4 address itself"
    if ip.is_link_local or ip in METADATA_ADDRESSES:
        return ""
    return None


def host_problem(host: str, allow_link_local: bool = False) -> str | None:
    """Why a URL host (IPv6 without brackets) may not be dialled, or None."""
    name = host.lower()
    name = name[:-1] if name.endswith(".") and not name.endswith("..") else name
    if not name:
        return "the URL has no host"
    if ":" in name:
        if "%" in name:
            return "an IPv6 zone id is not allowed"
        try:
            ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv6Address(name)
        except ValueError:
            return f"{host!r} is not a valid IPv6 address"
    elif _NUMERIC.match(name.rsplit(".", 1)[-1]):
        try:
            ip = _ipv4_loose(name)
        except ValueError:
            return f"{host!r} is numeric but not a valid IPv4 address"
    else:
        if not all(_LABEL.match(label) for label in name.split(".")) or len(name) > 253:
            return f"{host!r} is not a valid host name (ASCII letters, digits, '-', '.')"
        if name in METADATA_HOSTS and not allow_link_local:
            return f"{name} is a cloud-metadata host; opt in (Provider allowLinkLocal, probe --allow-link-local) only if the provider really lives there"
        return None
    problem = _address_problem(ip)
    if problem == "" and not allow_link_local:
        return (
            f"{ip} is a link-local or cloud-metadata address; "
            "opt in (Provider allowLinkLocal, probe --allow-link-local) only if the provider really lives there"
        )
    return problem or None


def base_url_problem(url: str, allow_link_local: bool = False) -> str | None:
    """Why `url` is not an acceptable upstream base URL, or None.

    http(s) only, no userinfo, no control characters or backslashes, a valid port, and a host
    that is not link-local or cloud metadata unless `allow_link_local`.
    """
    if not url.isascii() or any(c <= " " or c == "\x7f" for c in url) or "\\" in url:
        return "must be ASCII without spaces, control characters or backslashes"
    lowered = url.lower()
    if not lowered.startswith(("http://", "https://")):
        return "must be an http:// or https:// URL"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    authority = parts.netloc
    if "@" in authority:
        return "must not carry user information (user:password@); use auth.secretRef"
    if (port is not None and not 1 <= port <= 65535) or authority.endswith(":"):
        return "the port must be 1-65535"
    if authority.startswith("["):
        host = authority[1 : authority.find("]")]
    else:
        host = authority.rsplit(":", 1)[0] if ":" in authority else authority
        if "%" in host:
            return "the host must not be percent-encoded"
    return host_problem(host, allow_link_local)


# The same rules for the API server (CEL), as far as CEL expresses them within its cost budget
# (url().getHostname() is unbounded to the cost estimator, so the host is cut out with split and
# substring; the field pattern already refused userinfo and backslashes): a host whose last
# label is numeric must be an address CEL's ip() accepts (canonical dotted IPv4, so 2852039166,
# 0xA9FEA9FE, octal and short forms are refused); a bracketed host must be an IPv6 address
# ip() accepts (it refuses IPv4-mapped forms and zone ids); then link-local, unspecified and
# multicast (not isGlobalUnicast), the IPv4-embedding ranges, the metadata addresses and names.
def base_url_cel(u: str, opt_in: str) -> str:
    auth = f"{u}.split('/')[2]"
    h = f"({auth}.startsWith('[') ? {auth}.substring(1, {auth}.indexOf(']')) : {auth}.split(':')[0])"
    names = ", ".join(f"'{n}'" for name in sorted(METADATA_HOSTS) for n in (name, name + "."))
    # CEL's cidr() refuses the IPv4-mapped range itself; isIP() already refused those hosts
    embedding = [str(n) for n in EMBEDDING_V6 if str(n) != "::ffff:0:0/96"]
    never = ", ".join(f"'{n}'" for n in ("0.0.0.0/8", *embedding))
    addrs = ", ".join(f"'{a}'" for a in sorted(map(str, METADATA_ADDRESSES)))
    return (
        f"(!{h}.matches('(^|[.])(0[xX][0-9a-fA-F]*|[0-9]+)[.]?$') || isIP({h})) && "
        f"(!{auth}.startsWith('[') || isIP({h})) && "
        f"({opt_in} || !({h}.lowerAscii() in [{names}])) && "
        f"(!isIP({h}) || ip({h}).isLoopback() || ("
        f"!ip({h}).isUnspecified() && ![{never}].exists(n, cidr(n).containsIP(ip({h}))) && "
        f"({opt_in} || (ip({h}).isGlobalUnicast() && "
        f"!cidr('169.254.0.0/16').containsIP(ip({h})) && "
        f"![{addrs}].exists(a, ip(a) == ip({h}))))))"
    )
