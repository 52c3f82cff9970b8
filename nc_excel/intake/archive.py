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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from nc_excel.atomic import replacing
from nc_excel.folder import ProjectFolder
from nc_excel.intake.record import Records, as_read_from
from nc_excel.intake.sniff import FileProblem, Limits, OpenedFile
from nc_excel.intake.workers import open_files
from nc_excel.issues import Issue
from nc_excel.partner.prefill import prefill_from
from nc_excel.partner.read import NotAReturn, Return, Workbook, read_return
from nc_excel.partner.schema import Prefill
from nc_excel.setup.models import ProjectSetup

Status = Literal["accepted", "accepted with warnings", "rejected", "duplicate", "not a return"]
ACCEPTED: tuple[Status, ...] = ("accepted", "accepted with warnings")


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
        self.path = ProjectFolder(root).register
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
        with replacing(self.path) as tmp, tmp.open("w", encoding="utf-8") as fh:
            for e in self.entries:
                fh.write(e.model_dump_json() + "\n")


def archive_copy(root: Path, source: Path, period: int, partner: str, received: dt.datetime, sha256: str, ext: str) -> Path:
    """Copy an accepted return into the archive (atomically) and make it read-only."""
    target = ProjectFolder(root).archived(period, partner) / f"{received:%Y%m%dT%H%M%S}_{sha256[:8]}.{ext}"
    if target.exists():
        return target
    with replacing(target, mode=stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH) as tmp:
        shutil.copyfile(source, tmp)
    return target


@dataclass(frozen=True)
class Ignored:
    """A file in the inbox that collect leaves alone, and why."""

    path: Path
    reason: str


def _walk_inbox(inbox: Path) -> Iterator[tuple[Path, str | None]]:
    """Everything below the inbox, symbolic links not followed: (path, None) for a file to
    collect, (path, why) for one left alone. Names are sorted within each folder."""
    for folder, dirs, files in os.walk(inbox, followlinks=False):
        here = Path(folder)
        dirs.sort()
        for name in list(dirs):
            if (here / name).is_symlink():
                dirs.remove(name)  # os.walk would not go in either; it is reported instead
                files.append(name)
        for name in sorted(files):
            path = here / name
            if path.is_symlink():
                yield path, "a symbolic link: not followed, so nothing outside the inbox is collected"
            elif name.startswith(("~$", ".~lock")):
                yield path, "an office lock file: the workbook is open in Excel or LibreOffice"
            elif name.startswith("."):
                yield path, "a hidden file (its name starts with a dot)"
            elif not path.is_file():
                yield path, "not a regular file"
            else:
                yield path, None


def inbox_files(inbox: Path) -> Iterable[Path]:
    """Every file below the inbox, skipping office lock files, hidden files and symbolic links (not followed)."""
    return [path for path, why in _walk_inbox(inbox) if why is None]


def inbox_ignored(inbox: Path) -> list[Ignored]:
    """The files below the inbox that ``inbox_files`` leaves out, each with why."""
    return [Ignored(path, why) for path, why in _walk_inbox(inbox) if why is not None]


def book_of(opened: OpenedFile) -> Workbook:
    return Workbook(file=opened.path.name, sheets=opened.sheets, tables=opened.tables, date1904=opened.date1904)


class Archive:
    """Accepted returns read back from the archive, once each: from their parsed records, the
    rest many at a time in the reader's workers (and recorded then)."""

    def __init__(self, root: Path, register: Register, setup: ProjectSetup, limits: Limits) -> None:
        self.root, self.register, self.setup, self.limits = root, register, setup, limits
        self._cache: dict[str, Return | None] = {}
        self.records = Records(root, setup)
        self.why_not: dict[str, str] = {}
        """sha256 -> why an archived return could not be read back (a damaged file, a setup that changed under it)."""

    def read_many(self, entries: list[Entry]) -> list[tuple[Entry, Return]]:
        """The archived entries with their returns; one that cannot be read is left out (``why_not`` says why)."""
        todo: dict[Path, Entry] = {}
        for e in entries:
            if e.archived and e.sha256 not in self._cache:
                path = ProjectFolder(self.root).resolve(e.archived)
                recorded = self.records.load(e.sha256, path)
                if recorded is not None:
                    self._cache[e.sha256] = recorded
                else:
                    todo[path] = e
        if todo:
            for path, outcome in open_files(list(todo), self.limits, then=partial(read_opened, setup=self.setup)):
                sha = todo[path].sha256
                ret = None if isinstance(outcome, FileProblem) else outcome.ret
                self._cache[sha] = ret
                if ret is None:
                    self.why_not[sha] = outcome.issue.message if isinstance(outcome, FileProblem) else outcome.issues[-1].message
                else:
                    self.records.save(sha, ret, path)
        return [(e, ret) for e in entries if (ret := self._cache.get(e.sha256)) is not None]

    def archived(self, sha256: str, ret: Return, archived_as: Path) -> None:
        """A return just archived as ``archived_as``: recorded as reading that file would read it, and kept."""
        ret = as_read_from(ret, archived_as.name)
        self.records.save(sha256, ret, archived_as)
        self._cache[sha256] = ret

    def read(self, entry: Entry) -> Return | None:
        found = self.read_many([entry])
        return found[0][1] if found else None

    def latest(self, partner: str, period: int) -> Return | None:
        entry = self.register.latest_accepted(partner, period)
        return self.read(entry) if entry else None

    def prefill(self, partner: str, period: int) -> Prefill:
        """What the template of ``period`` carried over from the period before."""
        previous = self.latest(partner, period - 1)
        return prefill_from(previous, self.setup) if previous else Prefill()


@dataclass
class ReadOutcome:
    """A pending file once opened and read: its return (when it is one), issues and verdict so far."""

    ret: Return | None
    issues: list[Issue]
    status: Status | None  # None: decided by the issues once all returns are in
    format: str


def read_opened(opened: OpenedFile, setup: ProjectSetup) -> ReadOutcome:
    """Read an opened file as a return: runs in the reader's worker process, so it must
    return something picklable (rows keep their typed values, not the row models)."""
    try:
        ret = read_return(book_of(opened), setup)
    except NotAReturn as exc:
        status: Status = "not a return" if exc.issue.code == "no-metadata" else "rejected"
        return ReadOutcome(None, [*opened.warnings, exc.issue], status, opened.format)
    for rows in ret.tables.values():
        for row in rows:
            row.model = None
    for form in ret.forms.values():
        form.model = None
    return ReadOutcome(ret, [*opened.warnings, *ret.issues], None, opened.format)
