"""MS-OVBA 2.4.1 compression, the run-length/LZ77 scheme of every VBA stream.

The dir stream and each module's source inside vbaProject.bin are stored in
this format. We write our own compressor because the published `ms-ovba`
package computes the copy-token length mask wrongly (``0xFFFF << bit_count + 3``
parses as a shift by ``bit_count + 3``) and so corrupts long repeated runs
without any error; readers such as LibreOffice then import damaged source
silently. The tests round-trip this compressor through oletools' independent
decompressor on real modules and random data.

Layout (MS-OVBA 2.4.1.1): a signature byte 0x01, then chunks, each holding at
most 4096 bytes of the original. A chunk starts with a 2-byte header (size - 3
in bits 0-11, 0b011 in bits 12-14, "compressed" flag in bit 15) and is either a
sequence of token groups (one flag byte, then 8 tokens: a literal byte or a
2-byte copy token pointing back into the same chunk) or, when compression would
not pay, the 4096 raw bytes.
"""

from __future__ import annotations

CHUNK_SIZE = 4096
"""Bytes of the original that one compressed chunk holds (MS-OVBA 2.4.1.1.4)."""

_SIGNATURE = b"\x01"
_MIN_MATCH = 3
_MAX_COMPRESSED_CHUNK = 4098
"""Largest compressed chunk, header included: 12 bits of size + 3."""

_MAX_CANDIDATES = 256
"""How many earlier positions with the same 3-byte prefix are tried per match.

Any match is valid, the longest is only smaller, so a bound keeps the
compressor linear-ish on pathological input (thousands of identical prefixes)
at a negligible cost in size."""


def _copy_token_layout(position_in_chunk: int) -> tuple[int, int]:
    """Return (offset bit count, maximum match length) at a chunk position.

    MS-OVBA 2.4.1.3.19.1 CopyToken Help: the offset field grows with the
    distance already covered in the chunk, from 4 bits up to 12, and the length
    field gets the remaining 16 - bit_count bits.
    """
    bit_count = max((position_in_chunk - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    return bit_count, length_mask + _MIN_MATCH


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Compress data[start:end] (at most 4096 bytes) into one chunk with header."""
    out = bytearray(b"\x00\x00")
    heads: dict[bytes, list[int]] = {}
    pos = start

    def remember(at: int) -> None:
        if at + _MIN_MATCH <= end:
            heads.setdefault(data[at : at + _MIN_MATCH], []).append(at)

    while pos < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            offset_bits, max_length = _copy_token_layout(pos - start)
            limit = min(max_length, end - pos)
            best_length = 0
            best_candidate = 0
            if limit >= _MIN_MATCH:
                candidates = heads.get(data[pos : pos + _MIN_MATCH], ())
                for candidate in reversed(candidates[-_MAX_CANDIDATES:]):
                    if best_length and data[candidate + best_length] != data[pos + best_length]:
                        continue
                    length = _MIN_MATCH
                    while length < limit and data[candidate + length] == data[pos + length]:
                        length += 1
                    if length > best_length:
                        best_length, best_candidate = length, candidate
                        if length == limit:
                            break
            if best_length >= _MIN_MATCH:
                offset = pos - best_candidate
                token = ((offset - 1) << (16 - offset_bits)) | (best_length - _MIN_MATCH)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                for at in range(pos, pos + best_length):
                    remember(at)
                pos += best_length
            else:
                out.append(data[pos])
                remember(pos)
                pos += 1
        out[flag_index] = flags

    if len(out) > _MAX_COMPRESSED_CHUNK:
        # MS-OVBA 2.4.1.3.10: store the chunk raw, always 4096 bytes; a short
        # last chunk is padded with zeros (only incompressible data gets here).
        raw = data[start:end].ljust(CHUNK_SIZE, b"\x00")
        return (0x3000 | (CHUNK_SIZE + 2 - 3)).to_bytes(2, "little") + raw
    header = 0xB000 | (len(out) - 3)
    out[0:2] = header.to_bytes(2, "little")
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress bytes into an MS-OVBA CompressedContainer.

    >>> compress(b"abc")
    b'\\x01\\x03\\xb0\\x00abc'
    """
    out = bytearray(_SIGNATURE)
    for start in range(0, len(data), CHUNK_SIZE):
        out += _compress_chunk(data, start, min(start + CHUNK_SIZE, len(data)))
    return bytes(out)
