"""The archive of accepted returns and the returns register.

An accepted return is copied to ``archive/<period>/<partner>/<received>_<sha256-8>.<ext>``
and never modified (it is made read-only). The register, ``archive/register.jsonl``,
lists every file ever collected with its verdict and issues; it is rewritten
atomically after each file, so a crash never loses what was already collected.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from nc_excel.issues import Issue

Status = Literal["accepted", "accepted with warnings", "rejected", "duplicate", "not a return"]
ACCEPTED: tuple[Status, ...] = ("accepted", "accepted with warnings")
REGISTER = "register.jsonl"


class Entry(BaseModel):
    """One file as collected: what it was, what became of it."""

    file: str  # path relative to the project folder, as received
    sha256: str
    received: dt.datetime
    status: Status
    partner: str | None = None
    period: int | None = None
    errors: int = 0
    warnings: int = 0
    archived: str | None = None  # path relative to the project folder
    superseded_by: str | None = None  # sha256 of the newer accepted return
    feedback: str | None = None
    issues: list[Issue] = []

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED


class Register:
    """The returns register of a project folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "archive" / REGISTER
        self.entries: list[Entry] = []
        if self.path.exists():
            with self.path.open(encoding="utf-8") as fh:
                self.entries = [Entry.model_validate_json(line) for line in fh if line.strip()]

    def seen(self, file: str, sha256: str) -> bool:
        """This very file (same name, same bytes) was collected before."""
        return any(e.file == file and e.sha256 == sha256 for e in self.entries)

    def first_with(self, sha256: str) -> Entry | None:
        return next((e for e in self.entries if e.sha256 == sha256), None)

    def latest_accepted(self, partner: str, period: int) -> Entry | None:
        current = [e for e in self.entries if e.accepted and e.partner == partner and e.period == period and e.superseded_by is None]
        return max(current, key=lambda e: e.received) if current else None

    def current(self, period: int | None = None) -> list[Entry]:
        """The latest accepted return of each partner (and period)."""
        return [e for e in self.entries if e.accepted and e.superseded_by is None and (period is None or e.period == period)]

    def add(self, entry: Entry) -> None:
        """Record a file; an accepted return supersedes the partner's older one for the period.

        A new entry is appended to the register file; only a superseded entry makes
        it rewrite the whole file (atomically), so collecting stays linear.
        """
        changed = False
        if entry.accepted and entry.partner and entry.period is not None:
            older = self.latest_accepted(entry.partner, entry.period)
            if older is not None:
                if older.received > entry.received:
                    entry.superseded_by = older.sha256  # an older file arriving late does not win
                else:
                    older.superseded_by = entry.sha256
                    changed = True
        self.entries.append(entry)
        if changed or not self.path.exists():
            self.save()
        else:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(entry.model_dump_json() + "\n")

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".register-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for e in self.entries:
                fh.write(e.model_dump_json() + "\n")
        os.replace(tmp, self.path)


def archive_copy(root: Path, source: Path, period: int, partner: str, received: dt.datetime, sha256: str, ext: str) -> Path:
    """Copy an accepted return into the archive (atomically) and make it read-only."""
    folder = root / "archive" / str(period) / partner
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{received:%Y%m%dT%H%M%S}_{sha256[:8]}.{ext}"
    if target.exists():
        return target
    fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=folder)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def inbox_files(inbox: Path) -> Iterable[Path]:
    """Every file below the inbox, skipping office lock files and hidden files."""
    for path in sorted(inbox.rglob("*")):
        if path.is_file() and not path.name.startswith(("~$", ".~lock", ".")):
            yield path
