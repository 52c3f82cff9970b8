"""Write a compound file (MS-CFB), the container format of vbaProject.bin.

The container itself is written by the ``cfbwrite`` package (its
``write_ole``): it builds a complete version-3 compound file from a tree held
in memory, with zero timestamps and CLSIDs and a canonical directory order, so
the same streams always give the same bytes. ``olefile`` can only read, and
``ms-cfb`` writes scratch files into the current working directory. This
module is the only place that knows which library is used.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from cfbwrite import CfbWriteError, Entry, write_ole

from nc_excel.addin.errors import AddinError

StreamPath = tuple[str, ...]
"""A stream's path inside the file, e.g. ("VBA", "dir")."""


def _stream(name: str, data: bytes) -> Entry:
    return Entry(name=name, is_storage=False, size=len(data), read=lambda: data)


def _tree(streams: Mapping[StreamPath, bytes]) -> list[Entry]:
    roots: list[Entry] = []
    storages: dict[StreamPath, Entry] = {}
    for path, data in streams.items():
        siblings = roots
        for depth in range(1, len(path)):
            storage = storages.get(path[:depth])
            if storage is None:
                storage = Entry(name=path[depth - 1], is_storage=True, size=0, read=None)
                storages[path[:depth]] = storage
                siblings.append(storage)
            siblings = storage.children
        siblings.append(_stream(path[-1], data))
    return roots


def compound_file(streams: Mapping[StreamPath, bytes]) -> bytes:
    """The bytes of a compound file holding these streams (storages are implied)."""
    try:
        with tempfile.TemporaryDirectory(prefix="nc-excel-cfb-") as folder:
            target = Path(folder) / "vbaProject.bin"
            write_ole(target, _tree(streams))
            return target.read_bytes()
    except CfbWriteError as exc:
        raise AddinError(f"Could not write the VBA project container: {exc}. Report this as a bug.") from exc
