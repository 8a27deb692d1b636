"""Where a reported host is hosted and who to tell: DNS (the alias chain and addresses, from
the servers the safe fetcher asks too), the offline IP database (country, network), the CDN
directory, and the network's abuse contact from RDAP.

Each part that fails leaves the others filled: a trace with a country and no abuse e-mail
still routes a notice to the country's hotline.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from hotline.core.dns import never_resolves, resolver
from hotline.takedown import directory, geo, rdap


@dataclass(frozen=True)
class HostingTrace:
    """What is known about where `host` is served from, at the time of the trace."""

    host: str
    cname_chain: tuple[str, ...] = ()  # the names `host` is an alias of, in order
    addresses: tuple[str, ...] = ()  # A records, then AAAA
    ip: str = ""  # the first address: the one the fetcher connects to
    country: str = ""  # ISO 3166-1 alpha-2 of `ip`, "" unknown
    asn: int | None = None
    as_name: str = ""
    cdn: str = ""  # the CDN or cloud the network belongs to, "" none known
    cdn_abuse: str = ""  # its abuse process: a form URL or an e-mail address
    abuse_email: str = ""  # the network's abuse contact (RDAP)
    abuse_source: str = ""  # the RDAP URL it came from
    network_name: str = ""
    rdap_country: str = ""  # the country the registry records for the network
    error: str = ""  # "" or the first part that failed: no_such_host, no_address, dns_*, rdap_*


@dataclass(frozen=True)
class Resolution:
    cname_chain: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    error: str = ""


def _name(text: str) -> str:
    return text.lower().rstrip(".")


def resolve_host(host: str) -> Resolution:
    """The alias chain and addresses of `host` (A, then AAAA) from HOTLINE_DNS_NAMESERVERS.

    An IP literal resolves to itself. Errors: no_such_host (NXDOMAIN), no_address (the name
    exists without addresses), dns_timeout, dns_failure (no server gave a usable answer).
    """
    literal = host.strip().strip("[]")
    try:
        return Resolution(addresses=(str(ipaddress.ip_address(literal)),))
    except ValueError:
        pass
    if never_resolves(host):
        return Resolution(error="no_such_host")
    try:
        # Absolute: a reported host is never completed with the resolver's search domains.
        qname = dns.name.from_text(host.strip().rstrip(".") + ".")
    except (dns.exception.DNSException, UnicodeError):
        return Resolution(error="no_such_host")
    ask = resolver()
    chain: list[str] = []
    addresses: list[str] = []
    try:
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            answer = ask.resolve(qname, rdtype, search=False, raise_on_no_answer=False)
            assert isinstance(answer.response, dns.message.QueryMessage)
            result = answer.response.resolve_chaining()
            for cname in result.cnames:
                for rdata in cname:
                    target = _name(rdata.to_text())
                    if target not in chain:
                        chain.append(target)
            if answer.rrset is not None:
                addresses += [rdata.to_text() for rdata in answer.rrset]
    except dns.resolver.NXDOMAIN:
        return Resolution(error="no_such_host")
    except dns.resolver.LifetimeTimeout:
        return Resolution(tuple(chain), tuple(addresses), error="dns_timeout")
    except dns.exception.DNSException:
        return Resolution(tuple(chain), tuple(addresses), error="dns_failure")
    return Resolution(tuple(chain), tuple(addresses), error="" if addresses else "no_address")


def trace_host(host: str) -> HostingTrace:
    """Trace `host` (a name or an IP literal): DNS, then country, network, CDN and abuse
    contact of its first address. Reads no database rows and writes nothing; it may take
    seconds (DNS and RDAP on the network), so callers run it in a task, never in a request.
    """
    host = _name(host.strip())
    resolved = resolve_host(host)
    if not resolved.addresses:
        return HostingTrace(host=host, cname_chain=resolved.cname_chain, error=resolved.error)
    ip = resolved.addresses[0]
    located = geo.lookup(ip)
    cdn = directory.cdn_for_asn(located.asn)
    contact = rdap.abuse_contact(ip)
    return HostingTrace(
        host=host,
        cname_chain=resolved.cname_chain,
        addresses=resolved.addresses,
        ip=ip,
        country=located.country,
        asn=located.asn,
        as_name=located.as_name,
        cdn=cdn.name if cdn else "",
        cdn_abuse=cdn.abuse if cdn else "",
        abuse_email=contact.abuse_email,
        abuse_source=contact.source_url,
        network_name=contact.network_name,
        rdap_country=contact.country,
        error=resolved.error or contact.error,
    )
