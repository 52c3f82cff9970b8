"""The MS-OVBA compressor, checked against oletools' independent decompressor.

The ms-ovba package corrupted long repeated runs silently; these tests would
have caught it: real modules, random data, long runs and every chunk boundary.
"""

from __future__ import annotations

import random

import pytest
from addin_helpers import MACROS, XLWINGS
from oletools.olevba import decompress_stream

from nc_excel.addin.ovba_compression import CHUNK_SIZE, compress


def round_trip(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(compress(data))))


@pytest.mark.parametrize(
    "path",
    [XLWINGS / "xlwings_custom_addin.bas", XLWINGS / "xlwings.bas", XLWINGS / "addin" / "Dictionary.cls", MACROS / "NCRibbon.bas"],
    ids=lambda p: p.name,
)
def test_real_modules_round_trip_and_shrink(path):
    data = path.read_bytes()
    compressed = compress(data)
    assert bytes(decompress_stream(bytearray(compressed))) == data
    if len(data) > 10_000:
        assert len(compressed) < len(data) * 0.6  # it really compresses text


@pytest.mark.parametrize("length", [1, 2, 3, 4, 17, 4095, 4096, 4097, 8192, 8193, 100_000])
def test_long_runs_of_one_byte(length):
    # Runs longer than a copy token's maximum length: the ms-ovba bug.
    assert round_trip(b"A" * length) == b"A" * length


@pytest.mark.parametrize("period", [2, 3, 7, 16, 255, 1000, 4095])
def test_repeated_patterns(period):
    rng = random.Random(period)
    unit = bytes(rng.randrange(256) for _ in range(period))
    data = (unit * (30_000 // period + 1))[:30_000]
    assert round_trip(data) == data


@pytest.mark.parametrize("seed", range(6))
def test_random_data_with_runs(seed):
    rng = random.Random(seed)
    parts = []
    for _ in range(60):
        kind = rng.random()
        if kind < 0.3:
            parts.append(bytes([rng.randrange(256)]) * rng.randrange(1, 3000))
        elif kind < 0.6:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 500))))
        else:
            start = rng.randrange(max(1, sum(map(len, parts))))
            joined = b"".join(parts)
            parts.append(joined[start : start + rng.randrange(3, 600)])
    data = b"".join(parts)
    assert round_trip(data) == data


def test_small_alphabet_random_text():
    rng = random.Random(42)
    data = bytes(rng.choice(b"ab \r\n") for _ in range(50_000))
    assert round_trip(data) == data


def test_incompressible_full_chunks_are_stored_raw():
    data = random.Random(7).randbytes(3 * CHUNK_SIZE)
    compressed = compress(data)
    assert len(compressed) == 1 + 3 * (2 + CHUNK_SIZE)
    assert round_trip(data) == data


def test_incompressible_short_last_chunk_is_padded_as_the_spec_says():
    # MS-OVBA 2.4.1.3.10: a raw chunk always holds 4096 bytes. Only random data
    # gets here; VBA source text always compresses.
    data = random.Random(8).randbytes(CHUNK_SIZE + 4000)
    out = round_trip(data)
    assert out[: len(data)] == data
    assert out[len(data) :] == b"\x00" * (2 * CHUNK_SIZE - len(data))


def test_empty_input_is_just_the_signature():
    assert compress(b"") == b"\x01"
    assert round_trip(b"") == b""
