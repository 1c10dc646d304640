"""ClickHouse native compression framing (`decompress=1` requests, `compress=1` responses).

Each block is: 16-byte CityHash128 (v1.0.2) checksum of everything after it,
1 method byte, compressed size (u32 LE, includes this 9-byte header),
decompressed size (u32 LE), then the payload.
"""

from __future__ import annotations

import struct

import lz4.block
from clickhouse_cityhash.cityhash import CityHash128

from .errors import ErrorCatalog

METHOD_NONE = 0x02
METHOD_LZ4 = 0x82
_CHECKSUM_SIZE = 16
_HEADER_SIZE = 9
_MASK64 = (1 << 64) - 1
# ClickHouse compresses responses in blocks of at most max_compress_block_size (1 MiB).
_BLOCK_SIZE = 1 << 20


def checksum(data: bytes) -> bytes:
    """CityHash128 of `data` laid out as ClickHouse writes it: the two 64-bit halves, little-endian.

    clickhouse_cityhash returns the pair (first, second) as first << 64 | second;
    ClickHouse writes `first` then `second`.
    """
    value = CityHash128(data)
    return struct.pack("<QQ", value >> 64, value & _MASK64)


def decompress(data: bytes, errors: ErrorCatalog) -> bytes:
    """Decodes a sequence of native blocks, verifying each checksum."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        if len(data) - pos < _CHECKSUM_SIZE + _HEADER_SIZE:
            raise errors.error("CANNOT_READ_ALL_DATA", "Cannot read all data: truncated compressed block header")
        expected = data[pos : pos + _CHECKSUM_SIZE]
        method, compressed_size, decompressed_size = struct.unpack_from("<BII", data, pos + _CHECKSUM_SIZE)
        if compressed_size < _HEADER_SIZE:
            raise errors.error("TOO_LARGE_SIZE_COMPRESSED", f"Too small size_compressed: {compressed_size}")
        block = data[pos + _CHECKSUM_SIZE : pos + _CHECKSUM_SIZE + compressed_size]
        if len(block) != compressed_size:
            raise errors.error("CANNOT_READ_ALL_DATA", "Cannot read all data: truncated compressed block")
        actual = checksum(block)
        if actual != expected:
            raise errors.error(
                "CHECKSUM_DOESNT_MATCH",
                "Checksum doesn't match: corrupted data. Reference: "
                f"{_hex128(expected)}. Actual: {_hex128(actual)}. Size of compressed block: {compressed_size}",
            )
        payload = block[_HEADER_SIZE:]
        if method == METHOD_LZ4:
            try:
                out += lz4.block.decompress(payload, uncompressed_size=decompressed_size)
            except lz4.block.LZ4BlockError as exc:
                raise errors.error("CANNOT_DECOMPRESS", f"Cannot decompress LZ4-encoded data: {exc}") from exc
        elif method == METHOD_NONE:
            out += payload
        else:
            raise errors.error("UNKNOWN_COMPRESSION_METHOD", f"Unknown compression method: {method}")
        pos += _CHECKSUM_SIZE + compressed_size
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Encodes `data` as native LZ4 blocks (what ClickHouse sends for `compress=1`)."""
    out = bytearray()
    for start in range(0, len(data), _BLOCK_SIZE):
        chunk = data[start : start + _BLOCK_SIZE]
        payload = lz4.block.compress(chunk, store_size=False)
        header = struct.pack("<BII", METHOD_LZ4, _HEADER_SIZE + len(payload), len(chunk))
        block = header + payload
        out += checksum(block) + block
    return bytes(out)


def _hex128(raw: bytes) -> str:
    first, second = struct.unpack("<QQ", raw)
    return f"{first:016x}{second:016x}"


