"""Our compound-file writer, read back with olefile (an independent reader).

olefile is opened with ``raise_defects=DEFECT_POTENTIAL``, its strictest
setting, so anything it merely finds suspicious fails the test.
"""

from __future__ import annotations

import io
import struct

import olefile
import pytest

from nc_excel.addin.compound_file import compound_file
from nc_excel.addin.errors import AddinError

SECTOR = 512
NOSTREAM = 0xFFFFFFFF
BLACK = 1


def _data(size: int, seed: int) -> bytes:
    """Bytes that differ from sector to sector, so a misplaced sector shows."""
    return bytes((i * 7 + i // 512 + seed) % 251 for i in range(size))


STREAMS: dict[tuple[str, ...], bytes] = {
    ("PROJECT",): _data(551, 1),
    ("PROJECTwm",): b"",
    ("VBA", "_VBA_PROJECT"): bytes.fromhex("CC61FFFF000300"),
    ("VBA", "dir"): _data(4095, 2),
    ("VBA", "Exactly4096"): _data(4096, 3),
    ("VBA", "xlwings"): _data(19531, 4),
    ("VBA", "b"): _data(64, 5),
    ("VBA", "AA"): _data(65, 6),
    ("VBA", "Zz"): _data(1, 7),
    ("VBA", "Dictionary"): _data(4914, 8),
    ("VBA", "ThisWorkbook"): _data(175, 11),
}


def _open(raw: bytes) -> olefile.OleFileIO:
    return olefile.OleFileIO(io.BytesIO(raw), raise_defects=olefile.DEFECT_POTENTIAL)


@pytest.fixture(scope="module")
def raw() -> bytes:
    return compound_file(STREAMS)


def test_every_stream_reads_back_with_the_same_bytes(raw):
    ole = _open(raw)
    assert sorted(tuple(path) for path in ole.listdir()) == sorted(STREAMS)
    for path, data in STREAMS.items():
        assert ole.openstream("/".join(path)).read() == data, path
        assert ole.get_size("/".join(path)) == len(data)


def test_header_is_version_3_with_512_byte_sectors_and_a_4096_byte_cutoff(raw):
    ole = _open(raw)
    assert (ole.dll_version, ole.sector_size, ole.mini_sector_size) == (3, 512, 64)
    assert ole.minisectorcutoff == 4096
    assert ole.num_dir_sectors == 0  # MUST be zero in version 3
    assert raw[:8] == bytes.fromhex("D0CF11E0A1B11AE1")


def test_streams_below_the_cutoff_fill_the_mini_stream_and_the_others_whole_sectors(raw):
    ole = _open(raw)
    small = [data for data in STREAMS.values() if 0 < len(data) < 4096]
    assert ole.root.size == sum(-(-len(data) // 64) * 64 for data in small)
    for path in [("VBA", "Exactly4096"), ("VBA", "xlwings"), ("VBA", "Dictionary")]:
        entry = ole.direntries[ole._find("/".join(path))]
        offset = SECTOR * (entry.isectStart + 1)
        assert raw[offset:offset + len(STREAMS[path])] == STREAMS[path], path


def test_an_empty_stream_has_no_sector(raw):
    ole = _open(raw)
    entry = ole.direntries[ole._find("PROJECTwm")]
    assert (entry.size, entry.isectStart) == (0, olefile.ENDOFCHAIN)


def _in_order(ole: olefile.OleFileIO, sid: int) -> list[str]:
    if sid == NOSTREAM:
        return []
    entry = ole.direntries[sid]
    return _in_order(ole, entry.sid_left) + [entry.name] + _in_order(ole, entry.sid_right)


def _cfb_order(name: str) -> tuple[int, str]:
    return len(name), name.upper()


def test_siblings_form_an_all_black_search_tree_in_cfb_order(raw):
    ole = _open(raw)
    for storage in [ole.root, ole.direntries[ole._find("VBA")]]:
        names = _in_order(ole, storage.sid_child)
        assert names == sorted(names, key=_cfb_order)
        assert len(names) == len(storage.kids)
    assert all(entry.color == BLACK for entry in ole.direntries if entry is not None)


def test_vba_siblings_are_not_in_plain_string_order(raw):
    """Guards the test above: CFB order (length first) differs from sorted() here."""
    ole = _open(raw)
    names = _in_order(ole, ole.direntries[ole._find("VBA")].sid_child)
    assert names != sorted(names)
    assert names[:3] == ["b", "AA", "Zz"]


def test_unused_directory_entries_are_zero_with_nostream_links(raw):
    ole = _open(raw)
    entries = 1 + 1 + len(STREAMS)  # root, VBA storage, streams
    start = SECTOR * (ole.first_dir_sector + 1)
    padding = -entries % 4
    assert padding, "choose STREAMS so that the last directory sector has free entries"
    for index in range(entries, entries + padding):
        entry = raw[start + 128 * index:start + 128 * (index + 1)]
        assert entry[:66] == bytes(66) and entry[66:68] == b"\x00\x00"
        assert struct.unpack("<III", entry[68:80]) == (NOSTREAM,) * 3
        assert entry[80:] == bytes(48)


def test_fat_marks_its_own_sectors_and_leaves_the_rest_free(raw):
    ole = _open(raw)
    sectors = len(raw) // SECTOR - 1
    assert len(raw) % SECTOR == 0
    assert list(ole.fat[:ole.num_fat_sectors]) == [olefile.FATSECT] * ole.num_fat_sectors
    assert set(ole.fat[sectors:]) <= {olefile.FREESECT}
    assert olefile.FREESECT not in ole.fat[:sectors]


def test_a_file_past_109_fat_sectors_gets_a_difat_sector():
    big = _data(109 * 128 * SECTOR, 9)
    raw = compound_file({("Big",): big, ("Small",): b"x"})
    ole = _open(raw)
    assert ole.num_difat_sectors == 1
    assert ole.num_fat_sectors > 109
    assert list(ole.fat).count(olefile.DIFSECT) == 1
    assert ole.openstream("Big").read() == big
    assert ole.openstream("Small").read() == b"x"


def test_same_streams_in_another_order_give_the_same_bytes(raw):
    assert compound_file(dict(reversed(list(STREAMS.items())))) == raw


def test_a_file_of_only_large_streams_has_no_mini_stream():
    raw = compound_file({("Only",): _data(5000, 10)})
    ole = _open(raw)
    assert (ole.root.size, ole.root.isectStart) == (0, olefile.ENDOFCHAIN)
    assert ole.first_mini_fat_sector == olefile.ENDOFCHAIN
    assert ole.openstream("Only").read() == _data(5000, 10)


@pytest.mark.parametrize(
    "streams",
    [
        {("N" * 32,): b""},
        {("a/b",): b""},
        {("VBA",): b"x", ("VBA", "dir"): b"y"},
        {("VBA", "dir"): b"y", ("VBA",): b"x"},
    ],
    ids=["name-over-31-characters", "forbidden-character", "stream-then-storage", "storage-then-stream"],
)
def test_unstorable_input_is_refused(streams):
    with pytest.raises(AddinError, match="Report this as a bug"):
        compound_file(streams)
