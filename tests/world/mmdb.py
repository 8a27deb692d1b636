"""A small writer of MaxMind DB files (the format of GeoLite2 and ip-location-db's mmdb), so
tests read a real .mmdb through the maxminddb library without shipping or downloading one.

Format: https://maxmind.github.io/MaxMind-DB/ (binary search tree of 24-bit records, a
16-byte separator, the data section, then the metadata after a marker). Only what the tests
need: an IPv6 tree (IPv4 networks live under ::/96, where readers look for them), strings,
unsigned integers, maps and arrays, and networks that do not nest inside one another.
"""

from __future__ import annotations

import ipaddress
import time
from pathlib import Path
from typing import Any

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"


def _control(kind: int, size: int) -> bytes:
    extended = kind > 7
    head = 0 if extended else kind << 5
    if size < 29:
        out = bytes([head | size])
        rest = b""
    elif size < 285:
        out, rest = bytes([head | 29]), bytes([size - 29])
    elif size < 65821:
        out, rest = bytes([head | 30]), (size - 285).to_bytes(2, "big")
    else:
        out, rest = bytes([head | 31]), (size - 65821).to_bytes(3, "big")
    if extended:
        out += bytes([kind - 7])
    return out + rest


def encode(value: Any) -> bytes:
    """One value in the data section's encoding."""
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _control(2, len(data)) + data
    if isinstance(value, bool):
        raise TypeError("booleans are not needed here")
    if isinstance(value, int):
        data = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
        kind = 6 if value < 2**32 else 9  # uint32, uint64
        return _control(kind, len(data)) + data
    if isinstance(value, dict):
        return _control(7, len(value)) + b"".join(
            encode(str(k)) + encode(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(encode(v) for v in value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def write_mmdb(path: Path, networks: dict[str, dict[str, Any]], database_type: str) -> Path:
    """Write `networks` ({"192.0.2.0/24": record, "2001:db8::/32": record}) as an mmdb."""
    data = b""
    offsets: list[int] = []
    leaves: list[tuple[int, int, int]] = []  # (network as int in IPv6, prefix length, index)
    for text, record in networks.items():
        network = ipaddress.ip_network(text)
        offsets.append(len(data))
        data += encode(record)
        if network.version == 4:  # readers find IPv4 under ::/96 of an IPv6 tree
            value, length = int(network.network_address), network.prefixlen + 96
        else:
            value, length = int(network.network_address), network.prefixlen
        leaves.append((value, length, len(offsets) - 1))
    # The tree: node i has records [left, right]; ("node", j), ("data", k) or None (empty).
    nodes: list[list[tuple[str, int] | None]] = [[None, None]]
    for value, length, index in leaves:
        node = 0
        for depth in range(length):
            bit = (value >> (127 - depth)) & 1
            if depth == length - 1:
                nodes[node][bit] = ("data", index)
                break
            child = nodes[node][bit]
            if child is None:
                nodes.append([None, None])
                child = nodes[node][bit] = ("node", len(nodes) - 1)
            assert child[0] == "node", f"{value:x}/{length} nests in another network"
            node = child[1]
    count = len(nodes)

    def number(record: tuple[str, int] | None) -> int:
        if record is None:
            return count
        kind, target = record
        return target if kind == "node" else count + 16 + offsets[target]

    tree = b"".join(
        number(left).to_bytes(3, "big") + number(right).to_bytes(3, "big") for left, right in nodes
    )
    metadata: dict[str, Any] = {
        "binary_format_major_version": 2,
        "binary_format_minor_version": 0,
        "build_epoch": int(time.time()),
        "database_type": database_type,
        "description": {"en": "Hotline test world"},
        "ip_version": 6,
        "languages": ["en"],
        "node_count": count,
        "record_size": 24,
    }
    # Integers of the metadata must have the types readers expect (uint16/uint32/uint64).
    encoded = _control(7, len(metadata))
    for key, value in metadata.items():
        encoded += encode(key)
        if key in {
            "binary_format_major_version",
            "binary_format_minor_version",
            "ip_version",
            "record_size",
        }:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            encoded += _control(5, len(raw)) + raw
        elif key == "build_epoch":
            raw = value.to_bytes(8, "big").lstrip(b"\x00")
            encoded += _control(9, len(raw)) + raw
        else:
            encoded += encode(value)
    path.write_bytes(tree + b"\x00" * 16 + data + METADATA_MARKER + encoded)
    return path
