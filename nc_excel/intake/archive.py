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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from nc_excel.atomic import replacing
from nc_excel.certificate.read import read_certificate
from nc_excel.certificate.schema import Certificate
from nc_excel.folder import ProjectFolder
from nc_excel.intake.record import Records, Reported, as_read_from
from nc_excel.intake.sniff import FileProblem, Limits, OpenedFile
from nc_excel.intake.workers import open_files
from nc_excel.issues import Issue
from nc_excel.partner.prefill import prefill_from
from nc_excel.partner.read import (
    NotAReturn,
    Return,
    Workbook,
    kind_of,
    read_meta,
    read_return,
)
from nc_excel.partner.schema import CERTIFICATE, RETURN, Prefill, WorkbookKind
from nc_excel.setup.models import ProjectSetup

Status = Literal["accepted", "accepted with warnings", "rejected", "duplicate", "not a return"]
ACCEPTED: tuple[Status, ...] = ("accepted", "accepted with warnings")
LATE = "late-return"
"""The issue code collect gives a return received after its period's partner deadline."""
REPLACED = "return-replaced"
"""The issue code collect gives an accepted return that replaces the partner's current one for the period."""


class RegisterError(ValueError):
    """A decision on a return that the register cannot take (no such return, one already current); the message says what to do."""


class Decision(BaseModel):
    """The coordinator's decision on an accepted return, appended to the register as its own line.

    A withdrawn return stops counting (it drops out of the master) and a reopened one
    counts again; the file, its archived copy and its register entry stay as they are.
    """

    event: Literal["withdrawn", "reopened"]
    sha256: str  # the return decided on
    partner: str
    period: int
    at: dt.datetime
    by: str
    why: str | None = None

    @property
    def text(self) -> str:
        """As the master's Returns sheet shows it: ``Withdrawn 2026-12-02 10:00 by anna: wrong file``."""
        return f"{self.event.capitalize()} {self.at:%Y-%m-%d %H:%M} by {self.by}" + (f": {self.why}" if self.why else "")


class Entry(BaseModel):
    """One file as collected: what it was, what became of it."""

    file: str  # path relative to the project folder, as received
    sha256: str
    received: dt.datetime  # when the collect run that first saw the file ran: never the file's own modified time
    seq: int = 0  # its place in the register, 1, 2, ...: the order of receipt (0 in registers older than it: numbered on load)
    status: Status
    kind: WorkbookKind = RETURN  # what the file is, by its metadata; registers written before certificates hold returns only
    partner: str | None = None
    period: int | None = None
    errors: int = 0
    warnings: int = 0
    archived: str | None = None  # path relative to the project folder
    superseded_by: str | None = None  # sha256 of the newer accepted return (or certificate)
    feedback: str | None = None
    issues: list[Issue] = []
    decision: Decision | None = Field(default=None, exclude=True)  # the latest decision on it, from the register's decision lines

    @property
    def withdrawn(self) -> bool:
        return self.decision is not None and self.decision.event == "withdrawn"

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED

    @property
    def current(self) -> bool:
        """An accepted return not replaced since: the one that counts for its partner and period."""
        return (self.kind == RETURN and self.accepted and self.superseded_by is None and not self.withdrawn
                and self.partner is not None and self.period is not None)

    @property
    def late(self) -> bool:
        """Received after its period's partner deadline (collect flagged it ``late-return``)."""
        return any(i.code == LATE for i in self.issues)


class Register:
    """The returns register of a project folder.

    The register's own order is the order of receipt: each entry gets the next
    ``seq`` when it is added, and an accepted return always replaces the partner's
    current one for its period, whatever the files' dates say. So a register never
    holds two current returns for one partner and period; one that does (edited by
    hand, written by an old version) is settled on load: the later entry counts and
    ``problems`` says which files to look at.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = ProjectFolder(root).register
        self.entries: list[Entry] = []
        self.decisions: list[Decision] = []
        self.problems: list[str] = []
        if self.path.exists():
            with self.path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith('{"event"'):
                        self.decisions.append(Decision.model_validate_json(line))
                    elif line.strip():
                        self.entries.append(Entry.model_validate_json(line))
        by_sha = {e.sha256: e for e in self.entries if e.kind == RETURN and e.accepted}
        for d in self.decisions:
            if d.sha256 in by_sha:
                by_sha[d.sha256].decision = d
        for n, e in enumerate(self.entries, start=1):
            e.seq = e.seq or n
        self._last = max((e.seq for e in self.entries), default=0)
        self._seen = {(e.file, e.sha256) for e in self.entries}
        self._by_sha: dict[str, Entry] = {}
        self._first: dict[tuple[str, int], Entry] = {}
        self._current: dict[tuple[str, int], Entry] = {}
        for e in sorted(self.entries, key=lambda e: e.seq):
            self._index(e)
        self._settle()
        self._unsaved = bool(self.problems)  # what was settled is written with the next entry
        self._staged_whole = False  # a whole register has been staged (``stage``): the file will exist

    def _index(self, e: Entry) -> None:
        self._by_sha.setdefault(e.sha256, e)
        if e.kind == RETURN and e.partner is not None and e.period is not None and e.status != "duplicate":
            self._first.setdefault((e.partner, e.period), e)

    def _settle(self) -> None:
        """Index the current return of each partner and period; two or more: the latest counts, and it is said."""
        found: dict[tuple[str, int], list[Entry]] = {}
        for e in self.entries:
            if e.current:
                found.setdefault((e.partner, e.period), []).append(e)
        for (partner, period), current in found.items():
            current.sort(key=lambda e: e.seq)
            latest = current[-1]
            self._current[(partner, period)] = latest
            if len(current) > 1:
                for e in current[:-1]:
                    e.superseded_by = latest.sha256
                earlier = ", ".join(e.file for e in current[:-1])
                self.problems.append(
                    f"{ProjectFolder(self.root).record(self.path)} lists {len(current)} current accepted returns of {partner} for period {period}; "
                    f"the last received, {latest.file}, counts and {earlier} {'is' if len(current) == 2 else 'are'} taken as replaced. "
                    f"Look at {latest.file}: if it is not the return that should count, have {partner} send the right one again."
                )

    def seen(self, file: str, sha256: str) -> bool:
        """This very file (same name, same bytes) was collected before."""
        return (file, sha256) in self._seen

    def first_with(self, sha256: str) -> Entry | None:
        return self._by_sha.get(sha256)

    def first_of(self, partner: str, period: int) -> Entry | None:
        """The first file received as the partner's return for the period, whatever became of it."""
        return self._first.get((partner, period))

    def latest_accepted(self, partner: str, period: int) -> Entry | None:
        """The partner's current return for the period: the last accepted one received."""
        return self._current.get((partner, period))

    def current(self, period: int | None = None) -> list[Entry]:
        """The latest accepted return of each partner (and period)."""
        return [e for e in self.entries if e.current and (period is None or e.period == period)]

    def certificates(self, period: int | None = None) -> list[Entry]:
        """The current FLC certificate of each partner and period (of ``period``): the last accepted, in register order."""
        return [e for e in self.entries if e.kind == CERTIFICATE and e.accepted and e.superseded_by is None and (period is None or e.period == period)]

    def _replace_certificate(self, entry: Entry) -> bool:
        """A certificate replaces the partner's earlier one for the period, whatever the files' times; True when one was replaced."""
        older = [e for e in self.certificates(entry.period) if e.partner == entry.partner]
        for e in older:
            e.superseded_by = entry.sha256
        return bool(older)

    @property
    def next_seq(self) -> int:
        """The receipt number the next file added will get."""
        return self._last + 1

    def add(self, entry: Entry) -> None:
        """Record a file as the next one received; an accepted return replaces the partner's current one for the period.

        A new entry is appended to the register file; only a replaced entry makes
        it rewrite the whole file (atomically), so collecting stays linear.
        """
        self.stage(entry)()

    def stage(self, entry: Entry) -> Callable[[], None]:
        """``add`` the entry now, and return the call that writes it to the register file.

        Collect stages a run's files one by one (each later file is judged against the
        ones before it) and writes each one's line once its feedback workbook is written,
        in the order staged. What a call writes is fixed now: its line, or the whole
        register as it stands now (when the entry replaced one), so a later entry's
        change to this one never reaches the file before that later entry does.
        """
        self._last += 1
        entry.seq = self._last
        older = None
        changed = False
        if entry.kind == CERTIFICATE:
            changed = entry.accepted and self._replace_certificate(entry)
        elif entry.current:
            older = self._current.get((entry.partner, entry.period))
            if older is not None:
                older.superseded_by = entry.sha256
            self._current[(entry.partner, entry.period)] = entry
        self.entries.append(entry)
        self._seen.add((entry.file, entry.sha256))
        self._index(entry)
        if changed or older is not None or self._unsaved or not (self._staged_whole or self.path.exists()):
            self._unsaved, self._staged_whole = False, True
            return partial(self._write, self._text())
        return partial(self._append, entry.model_dump_json() + "\n")

    def _text(self) -> str:
        return "".join(e.model_dump_json() + "\n" for e in self.entries) + "".join(d.model_dump_json() + "\n" for d in self.decisions)

    def _write(self, text: str) -> None:
        with replacing(self.path) as tmp:
            tmp.write_text(text, encoding="utf-8")

    def _append(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)

    def save(self) -> None:
        self._write(self._text())
        self._unsaved = False

    def returns_of(self, partner: str | None = None, period: int | None = None) -> list[Entry]:
        """The partners' returns received (not certificates nor duplicates), in the order of receipt."""
        return [e for e in sorted(self.entries, key=lambda e: e.seq)
                if e.kind == RETURN and e.partner is not None and e.status != "duplicate"
                and (partner is None or e.partner == partner) and (period is None or e.period == period)]

    def withdraw(self, partner: str, period: int, *, by: str, at: dt.datetime, why: str | None = None) -> Entry:
        """Stop counting the partner's current return for the period; the file stays where it is."""
        entry = self._current.get((partner, period))
        if entry is None:
            raise RegisterError(f"{partner} has no accepted return of period {period} that counts, so there is nothing to withdraw.")
        self._decide(entry, Decision(event="withdrawn", sha256=entry.sha256, partner=partner, period=period, at=at, by=by, why=why))
        del self._current[(partner, period)]
        return entry

    def reopen(self, partner: str, period: int, *, by: str, at: dt.datetime, why: str | None = None) -> Entry:
        """Count the partner's last withdrawn return for the period again."""
        current = self._current.get((partner, period))
        if current is not None:
            raise RegisterError(f"{partner}'s return {current.file} counts for period {period}; withdraw it first to reopen an earlier one.")
        withdrawn = [e for e in self.returns_of(partner, period) if e.withdrawn]
        if not withdrawn:
            raise RegisterError(f"{partner} has no withdrawn return of period {period} to reopen.")
        entry = withdrawn[-1]
        self._decide(entry, Decision(event="reopened", sha256=entry.sha256, partner=partner, period=period, at=at, by=by, why=why))
        self._current[(partner, period)] = entry
        return entry

    def _decide(self, entry: Entry, decision: Decision) -> None:
        """Record ``decision`` on ``entry``: one line appended to the register (all rewritten when anything else is unsaved)."""
        entry.decision = decision
        self.decisions.append(decision)
        if self._unsaved or not self.path.exists():
            self.save()
        else:
            self._append(decision.model_dump_json() + "\n")


def archived_name(received: dt.datetime, sha256: str, ext: str) -> str:
    """The name of an archived return in its partner and period folder: when it was received, and its content."""
    return f"{received:%Y%m%dT%H%M%S}_{sha256[:8]}.{ext}"


def archive_copy(root: Path, source: Path, period: int, partner: str, received: dt.datetime, sha256: str, ext: str) -> Path:
    """Copy an accepted return into the archive (atomically) and make it read-only."""
    target = ProjectFolder(root).archived(period, partner) / archived_name(received, sha256, ext)
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
    collect, (path, why) for one left alone. A folder's own entries come first, sorted by
    name, then its subfolders' (sorted), as ``os.walk`` goes; a folder that cannot be listed
    is passed over. The directory entries say what each is, without a call per file: an
    inbox keeps every period's returns, thousands of them."""
    try:
        with os.scandir(inbox) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return
    folders = []
    for entry in entries:
        path = inbox / entry.name
        if entry.is_dir(follow_symlinks=False):
            folders.append(path)
        elif entry.is_symlink():
            yield path, "a symbolic link: not followed, so nothing outside the inbox is collected"
        elif entry.name.startswith(("~$", ".~lock")):
            yield path, "an office lock file: the workbook is open in Excel or LibreOffice"
        elif entry.name.startswith("."):
            yield path, "a hidden file (its name starts with a dot)"
        elif not entry.is_file(follow_symlinks=False):
            yield path, "not a regular file"
        else:
            yield path, None
    for folder in folders:
        yield from _walk_inbox(folder)


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

    def reported(self, entries: list[Entry]) -> list[tuple[Entry, Reported]]:
        """What the archived entries reported, for checking later returns against: from their records without
        the rest of them, or from the returns (``read_many``) where there is no usable record."""
        found: dict[str, Reported] = {}
        rest = []
        for e in entries:
            if not e.archived:
                continue
            if (known := self._reported(e)) is not None:
                found[e.sha256] = known
            else:
                rest.append(e)
        for e, ret in self.read_many(rest):
            found[e.sha256] = Reported.of(ret)
        return [(e, found[e.sha256]) for e in entries if e.sha256 in found]

    def recorded(self, entries: list[Entry]) -> list[Reported] | None:
        """What the archived entries reported, when it is known without opening a workbook (from records or
        returns read before); None when one of them would have to be opened (then ask ``reported``)."""
        found = []
        for e in entries:
            if e.archived:
                if (known := self._reported(e)) is None:
                    return None
                found.append(known)
        return found

    def _reported(self, e: Entry) -> Reported | None:
        if (ret := self._cache.get(e.sha256)) is not None:
            return Reported.of(ret)
        if e.sha256 not in self._cache and e.archived:
            return self.records.reported(e.sha256, ProjectFolder(self.root).resolve(e.archived))
        return None

    def certificates(self, entries: list[Entry]) -> list[tuple[Entry, Certificate]]:
        """The archived certificates with what they certify; one that cannot be read is left out (``why_not`` says why)."""
        todo = {ProjectFolder(self.root).resolve(e.archived): e for e in entries if e.archived}
        found: dict[str, Certificate] = {}
        for path, outcome in open_files(list(todo), self.limits, then=partial(read_opened, setup=self.setup)):
            sha = todo[path].sha256
            if isinstance(outcome, FileProblem) or outcome.certificate is None:
                self.why_not[sha] = outcome.issue.message if isinstance(outcome, FileProblem) else outcome.issues[-1].message
            else:
                found[sha] = outcome.certificate
        return [(e, found[e.sha256]) for e in entries if e.sha256 in found]

    def archived(self, sha256: str, ret: Return, archived_as: Path, body: str | None = None) -> None:
        """A return just archived as ``archived_as``: recorded as reading that file would read it, and kept.
        ``body`` is the record's body (``encode_return``) of the return as read from ``archived_as``, when made already."""
        ret = as_read_from(ret, archived_as.name)
        self.records.save(sha256, ret, archived_as, body)
        self._cache[sha256] = ret

    def read(self, entry: Entry) -> Return | None:
        found = self.read_many([entry])
        return found[0][1] if found else None

    def latest(self, partner: str, period: int) -> Return | None:
        entry = self.register.latest_accepted(partner, period)
        return self.read(entry) if entry else None

    def earlier(self, partner: str, period: int) -> list[Entry]:
        """The partner's current returns of the periods before ``period``, oldest period first."""
        before = sorted(p.number for p in self.setup.periods if p.number < period)
        return [e for n in before if (e := self.register.latest_accepted(partner, n)) is not None]

    def prefill(self, partner: str, period: int) -> Prefill:
        """What the template of ``period`` carries over: the partner's current returns of every earlier period,
        so a period sent late (or caught up after the next one began) still counts."""
        return prefill_from([ret for _, ret in self.read_many(self.earlier(partner, period))], self.setup)


@dataclass
class ReadOutcome:
    """A pending file once opened and read: its return (when it is one), issues and verdict so far."""

    ret: Return | None
    issues: list[Issue]
    status: Status | None  # None: decided by the issues once all returns are in
    format: str
    certificate: Certificate | None = None  # the file is an FLC certificate (``ret`` is then None)
    record: str | None = None  # the record's body of ``ret`` as archived (``encode_return``): made once checked without an error

    @property
    def kind(self) -> WorkbookKind:
        return CERTIFICATE if self.certificate is not None else RETURN


def read_opened(opened: OpenedFile, setup: ProjectSetup) -> ReadOutcome:
    """Read an opened file as a return, or as a certificate when its metadata says so: runs in the reader's
    worker process, so it must return something picklable (rows keep their typed values, not the row models)."""
    book = book_of(opened)
    try:
        meta = read_meta(book)
        if meta is not None and kind_of(meta) == CERTIFICATE:
            return _certificate_outcome(read_certificate(book, setup), opened)
        ret = read_return(book, setup)
    except NotAReturn as exc:
        status: Status = "not a return" if exc.issue.code == "no-metadata" else "rejected"
        return ReadOutcome(None, [*opened.warnings, exc.issue], status, opened.format)
    for rows in ret.tables.values():
        for row in rows:
            row.model = None
    for form in ret.forms.values():
        form.model = None
    return ReadOutcome(ret, [*opened.warnings, *ret.issues], None, opened.format)


def _certificate_outcome(cert: Certificate, opened: OpenedFile) -> ReadOutcome:
    for row in [*cert.lines.values(), *([cert.form] if cert.form else [])]:
        row.model = None
    return ReadOutcome(None, [*opened.warnings, *cert.issues], None, opened.format, cert)
