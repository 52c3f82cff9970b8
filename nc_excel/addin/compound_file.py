"""Write a compound file (MS-CFB), the container format of vbaProject.bin.

Our own writer replaces the AGPL-licensed ``cfbwrite`` so that nc-excel's
dependencies stay permissively licensed. It writes only the subset of MS-CFB
a source-only VBA project needs: version 3 (512-byte sectors, 64-byte mini
sectors, 4096-byte mini-stream cutoff), storages implied by stream paths, zero
timestamps and CLSIDs, and a layout fixed by the stream names alone, so the
same streams always give the same bytes (the committed add-in is compared
with a fresh build). Section numbers below refer to [MS-CFB].
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from nc_excel.addin.errors import AddinError

StreamPath = tuple[str, ...]
"""A stream's path inside the file, e.g. ("VBA", "dir")."""

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
"""Streams shorter than this live in the mini stream (2.2, Mini Stream Cutoff Size)."""
ENTRY = 128
"""Size of one directory entry (2.6.1)."""
IDS_PER_SECTOR = SECTOR // 4
HEADER_DIFAT = 109
"""FAT sector numbers the header itself holds; more need DIFAT sectors (2.5)."""

DIFSECT, FATSECT, ENDOFCHAIN, FREESECT = 0xFFFFFFFC, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFF
NOSTREAM = 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
BLACK = 1
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
FORBIDDEN_IN_NAMES = "/\\:!"
"""Characters 2.6.1 forbids in an entry name."""


@dataclass
class _Node:
    """A storage or stream of the tree being written; ``data`` is None for storages."""

    name: str
    data: bytes | None = None
    children: dict[str, _Node] = field(default_factory=dict)
    sid: int = 0
    start: int = 0
    """First sector (mini sector for small streams); 0 for storages (2.6.3)."""

    def __post_init__(self) -> None:
        if self.data is not None and len(self.data) < MINI_CUTOFF:
            self.start = ENDOFCHAIN  # empty streams keep it; small ones get theirs in _mini_stream


def _sort_key(name: str) -> tuple[int, list[int]]:
    """MS-CFB's sibling order (2.6.4): shorter UTF-16 name first, then upper-cased code units.

    Readers find entries by binary search, so the tree must follow exactly this
    order, not Python's string order.
    """
    units = name.encode("utf-16-le")
    upper = "".join(c.upper() if len(c.upper()) == 1 else c for c in name).encode("utf-16-le")
    return len(units), list(struct.unpack(f"<{len(upper) // 2}H", upper))


def _check_name(name: str) -> None:
    """Refuse names a reader would reject or truncate (2.6.1: at most 31 UTF-16 units)."""
    if not name or len(name.encode("utf-16-le")) > 62 or any(c in FORBIDDEN_IN_NAMES for c in name):
        raise AddinError(f"Cannot store {name!r} in the VBA project container. Report this as a bug.")


def _clash(path: StreamPath) -> None:
    """Refuse a path whose storage is also a stream, or the reverse: one name, one entry."""
    raise AddinError(f"{'/'.join(path)} names a stream and a storage at once. Report this as a bug.")


def _tree(streams: Mapping[StreamPath, bytes]) -> _Node:
    """The root storage holding these streams, with the storages their paths imply."""
    root = _Node("Root Entry")
    for path, data in streams.items():
        parent = root
        for name in path[:-1]:
            _check_name(name)
            parent = parent.children.setdefault(name, _Node(name))
            if parent.data is not None:
                _clash(path)
        _check_name(path[-1])
        if path[-1] in parent.children:
            _clash(path)
        parent.children[path[-1]] = _Node(path[-1], data=bytes(data))
    return root


def _sorted_children(node: _Node) -> list[_Node]:
    """The node's children in MS-CFB order, the one order readers search in."""
    return sorted(node.children.values(), key=lambda child: _sort_key(child.name))


def _number(root: _Node) -> list[_Node]:
    """All nodes in directory order (root first, then breadth-first in sibling order), ids set.

    A fixed order keeps the output reproducible whatever order the streams come in.
    """
    order = [root]
    pending = [root]
    while pending:
        node = pending.pop(0)
        for child in _sorted_children(node):
            child.sid = len(order)
            order.append(child)
            pending.append(child)
    return order


def _sibling_tree(node: _Node, links: dict[int, tuple[int, int]]) -> int:
    """Link the node's children as a binary search tree; returns the id of its top.

    The sorted siblings become a balanced tree (middle one on top) with every
    node black, which meets MS-CFB's colour rules (2.6.4: the root is black,
    no red node has a red child) without any rebalancing; ``links`` receives
    each child's (left, right) sibling ids.
    """
    siblings = _sorted_children(node)

    def build(low: int, high: int) -> int:
        if low >= high:
            return NOSTREAM
        middle = (low + high) // 2
        links[siblings[middle].sid] = (build(low, middle), build(middle + 1, high))
        return siblings[middle].sid

    return build(0, len(siblings))


def _padded(data: bytes, unit: int) -> bytes:
    """Data zero-filled to whole (mini) sectors, as each one is stored."""
    return data + b"\x00" * (-len(data) % unit)


def _chains(lengths: list[int], first: int) -> list[int]:
    """Allocation-table entries for runs of consecutive sectors, each ending in ENDOFCHAIN."""
    table: list[int] = []
    for length in lengths:
        start = first + len(table)
        table += [start + i + 1 for i in range(length - 1)] + [ENDOFCHAIN]
    return table


def _mini_stream(streams: list[_Node]) -> tuple[bytes, list[int]]:
    """The mini stream and its MiniFAT for the small streams; sets their start mini sectors."""
    data = bytearray()
    lengths = []
    for node in streams:
        node.start = len(data) // MINI_SECTOR
        data += _padded(node.data or b"", MINI_SECTOR)
        lengths.append(len(data) // MINI_SECTOR - node.start)
    return bytes(data), _chains(lengths, 0)


def _table_bytes(entries: list[int]) -> bytes:
    """An allocation table filled up to whole sectors with FREESECT."""
    entries = entries + [FREESECT] * (-len(entries) % IDS_PER_SECTOR)
    return struct.pack(f"<{len(entries)}I", *entries)


def _fat_counts(data_sectors: int) -> tuple[int, int]:
    """FAT and DIFAT sector counts: the FAT must also map its own and the DIFAT's sectors."""
    fat = difat = 0
    while fat * IDS_PER_SECTOR < data_sectors + fat + difat:
        fat += 1
        difat = -(-max(0, fat - HEADER_DIFAT) // (IDS_PER_SECTOR - 1))
    return fat, difat


def _difat_sectors(fat_ids: list[int], first: int, count: int) -> bytes:
    """DIFAT sectors: 127 FAT sector numbers each, then the next DIFAT sector (2.5)."""
    out = bytearray()
    rest = fat_ids[HEADER_DIFAT:]
    per = IDS_PER_SECTOR - 1
    for index in range(count):
        ids = rest[index * per:(index + 1) * per]
        ids += [FREESECT] * (per - len(ids))
        following = first + index + 1 if index + 1 < count else ENDOFCHAIN
        out += struct.pack(f"<{IDS_PER_SECTOR}I", *ids, following)
    return bytes(out)


def _entry(node: _Node, kind: int, links: tuple[int, int], child: int, size: int) -> bytes:
    """One 128-byte directory entry (2.6.1) with zero CLSID, state bits and timestamps."""
    name = node.name.encode("utf-16-le") + b"\x00\x00"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name, len(name), kind, BLACK, links[0], links[1], child, b"", 0, 0, 0, node.start, size,
    )


def _unused_entry() -> bytes:
    """A free directory entry: all zero except NOSTREAM sibling and child ids (2.6.3)."""
    ids = struct.pack("<64sHBBIII", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM)
    return ids + b"\x00" * (ENTRY - len(ids))


def _directory(order: list[_Node], mini_size: int) -> bytes:
    """The directory stream, padded with free entries to whole sectors."""
    links: dict[int, tuple[int, int]] = {0: (NOSTREAM, NOSTREAM)}
    tops = {node.sid: _sibling_tree(node, links) for node in order if node.data is None}
    out = bytearray(_entry(order[0], ROOT, links[0], tops[0], mini_size))
    for node in order[1:]:
        if node.data is None:
            out += _entry(node, STORAGE, links[node.sid], tops[node.sid], 0)
        else:
            out += _entry(node, STREAM, links[node.sid], NOSTREAM, len(node.data))
    while len(out) % SECTOR:
        out += _unused_entry()
    return bytes(out)


def _header(fat_ids: list[int], first_dir: int, minifat: tuple[int, int], difat: tuple[int, int]) -> bytes:
    """The 512-byte header (2.2); ``minifat`` and ``difat`` are (first sector, count)."""
    head = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        SIGNATURE, b"", 0x003E, 3, 0xFFFE, 9, 6, b"", 0, len(fat_ids), first_dir, 0,
        MINI_CUTOFF, minifat[0], minifat[1], difat[0], difat[1],
    )
    listed = fat_ids[:HEADER_DIFAT] + [FREESECT] * (HEADER_DIFAT - len(fat_ids[:HEADER_DIFAT]))
    return head + struct.pack(f"<{HEADER_DIFAT}I", *listed)


def _place(order: list[_Node], lengths: list[int]) -> tuple[int, int, list[int]]:
    """FAT and DIFAT sector counts and the first sector of each run; sets the start sectors.

    ``lengths`` are the sector counts of the runs after the FAT and DIFAT:
    directory, MiniFAT, mini stream, then one per large stream (in ``order``).
    """
    fat_count, difat_count = _fat_counts(sum(lengths))
    starts = [fat_count + difat_count + sum(lengths[:i]) for i in range(len(lengths))]
    order[0].start = starts[2] if lengths[2] else ENDOFCHAIN
    large = [node for node in order[1:] if node.data is not None and len(node.data) >= MINI_CUTOFF]
    for node, start in zip(large, starts[3:]):
        node.start = start
    return fat_count, difat_count, starts


def compound_file(streams: Mapping[StreamPath, bytes]) -> bytes:
    """The bytes of a compound file holding these streams (storages are implied).

    Sector layout: FAT, DIFAT, directory, MiniFAT, mini stream, then the large
    streams in directory order, each one contiguous.
    """
    order = _number(_tree(streams))
    files = [node.data for node in order if node.data is not None]
    small = [node for node in order if node.data is not None and 0 < len(node.data) < MINI_CUTOFF]
    mini, minifat_entries = _mini_stream(small)
    minifat = _table_bytes(minifat_entries) if small else b""
    big = [_padded(data, SECTOR) for data in files if len(data) >= MINI_CUTOFF]
    lengths = [-(-len(order) * ENTRY // SECTOR), len(minifat) // SECTOR, -(-len(mini) // SECTOR)]
    lengths += [len(data) // SECTOR for data in big]
    fat_count, difat_count, starts = _place(order, lengths)
    fat = [FATSECT] * fat_count + [DIFSECT] * difat_count + _chains([n for n in lengths if n], starts[0])
    fat_ids = list(range(fat_count))
    header = _header(
        fat_ids,
        starts[0],
        (starts[1], lengths[1]) if minifat else (ENDOFCHAIN, 0),
        (fat_count, difat_count) if difat_count else (ENDOFCHAIN, 0),
    )
    body = _directory(order, len(mini)) + minifat + _padded(mini, SECTOR) + b"".join(big)
    return header + _table_bytes(fat) + _difat_sectors(fat_ids, fat_count, difat_count) + body
