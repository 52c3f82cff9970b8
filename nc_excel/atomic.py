"""One way to replace a file: write beside it, then rename over it.

Every file nc-excel writes (workbooks, the master, the register, archived
returns, PDFs) goes through ``replacing``, so a failure or a kill midway leaves
the old file as it was and never a half-written one: ``os.replace`` within one
folder is atomic.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@functools.cache
def _default_mode() -> int:
    """What a newly created file would get: 0666 less the umask (mkstemp makes 0600). Read once: reading the
    umask means setting it twice, and a collect writes two files for every return."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def replacing(path: Path, *, mode: int | None = None) -> Iterator[Path]:
    """A temporary file beside ``path`` to write to; renamed over ``path`` when the block ends without error.

    ``mode`` is the new file's permission bits (by default those of a new file).
    The temporary file is removed whatever happens; a ``PermissionError`` from the
    rename (Windows: the file is open elsewhere) reaches the caller with ``path`` untouched.
    The folder is made when it is missing.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    renamed = False
    try:
        yield tmp
        os.chmod(tmp, _default_mode() if mode is None else mode)
        os.replace(tmp, path)
        renamed = True
    finally:
        if not renamed:
            tmp.unlink(missing_ok=True)
