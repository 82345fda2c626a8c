"""IP literals and CIDR blocks, with event-ruler's acceptance rules and messages.

event-ruler decides that a string is an IP address with two loose regular
expressions before parsing it, turns a pattern string that is an IP literal
into a one-address range (so ``"10.0.0.1"`` also matches ``"10.0.0.01"``), and
builds a CIDR range from the address as written (not masked) up to the
address with all host bits set. Those quirks are AWS's behaviour, kept here.
"""

from __future__ import annotations

import ipaddress
import re

_V4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_V6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MASK = re.compile(r"[+-]?[0-9]+")


class IPError(ValueError):
    """An invalid IP or CIDR, with event-ruler's message."""


def looks_like_ip(text: str) -> bool:
    return bool(_V4.fullmatch(text) or _V6.fullmatch(text))


def parse_ip(text: str) -> tuple[int, int]:
    """(version, integer) of an IP literal; IPError with AWS's message otherwise."""
    if _V4.fullmatch(text):
        parts = [int(p) for p in text.split(".")]
        if any(p > 255 for p in parts):
            raise IPError(f"Invalid IP address: {text}")
        return 4, (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]
    if _V6.fullmatch(text):
        try:
            return 6, int(ipaddress.IPv6Address(text))
        except ValueError:
            raise IPError(f"Invalid IP address: {text}") from None
    raise IPError(f"Nonstandard IP address: {text}")


def ip_or_none(text: str) -> tuple[int, int] | None:
    """(version, integer) when ``text`` is an IP literal, else None (never raises)."""
    if not looks_like_ip(text):
        return None
    try:
        return parse_ip(text)
    except IPError:
        return None


def _java_split_slash(text: str) -> list[str]:
    """``String.split("/")`` as Java does it: trailing empty strings are dropped."""
    parts = text.split("/")
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if parts == [""] and text:
        return []
    return parts


def parse_cidr(text: str) -> tuple[int, int, int]:
    """(version, lowest, highest) covered by a CIDR block, as event-ruler computes them."""
    parts = _java_split_slash(text)
    if len(parts) != 2:
        raise IPError("Malformed CIDR, one '/' required")
    if not _MASK.fullmatch(parts[1]) or not -(2**31) <= int(parts[1]) < 2**31:
        raise IPError("Malformed CIDR, mask bits must be an integer")
    bits = int(parts[1])
    if bits < 0:
        raise IPError("Malformed CIDR, mask bits must not be negative")
    version, address = parse_ip(parts[0])
    width = 32 if version == 4 else 128
    if bits > width - 1:
        raise IPError(f"IPv{version} mask bits must be < {width}")
    host_bits = (1 << (width - bits)) - 1
    return version, address, address | host_bits
