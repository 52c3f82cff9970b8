"""Collect: every file in the inbox read, checked, archived, registered and answered.

Each file is judged on its own and recorded before the next, so a bad file never
costs what was already collected. Only accepted returns reach the archive; a
return with any error is rejected, and its partner gets a feedback workbook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from nc_excel.excel.text import shown_name
from nc_excel.folder import ProjectFolder
from nc_excel.intake.archive import (
    Archive,
    Entry,
    Ignored,
    ReadOutcome,
    Register,
    Status,
    archive_copy,
    inbox_files,
    inbox_ignored,
    read_opened,
)
from nc_excel.intake.rules import check_across, check_return
from nc_excel.intake.sniff import FileProblem, Limits
from nc_excel.intake.workers import open_files
from nc_excel.issues import Issue, Severity, issue
from nc_excel.partner.feedback import feedback_name, write_feedback
from nc_excel.partner.read import Return
from nc_excel.partner.schema import START_SHEET, SUBMISSION_FORM
from nc_excel.setup.models import ProjectSetup, default_period

Progress = Callable[[int, int, str], None]


@dataclass
class Collected:
    """One file of this run and what became of it."""

    path: Path
    entry: Entry
    ret: Return | None = None

    @property
    def issues(self) -> list[Issue]:
        return self.entry.issues


@dataclass
class CollectResult:
    collected: list[Collected] = field(default_factory=list)
    skipped: int = 0  # files collected in an earlier run
    ignored: list[Ignored] = field(default_factory=list)  # hidden files, lock files, symbolic links: not read

    @property
    def rejected(self) -> list[Collected]:
        return [c for c in self.collected if c.entry.status == "rejected"]

    @property
    def not_returns(self) -> list[Collected]:
        """Files that are not returns of this project (no nc-excel metadata)."""
        return [c for c in self.collected if c.entry.status == "not a return"]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _received(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)


def _timing(ret: Return, setup: ProjectSetup, now: dt.datetime) -> list[Issue]:
    """A return for a period that has not begun is the wrong template."""
    period = setup.period(ret.period)
    if period.start <= now.date():
        return []
    return [issue("future-period", value=ret.period, start=period.start, current=default_period(setup, now.date()), file=ret.file, partner=ret.partner, period=ret.period, sheet=ret.sheets.get(SUBMISSION_FORM, START_SHEET))]


def _status(issues: list[Issue]) -> Status:
    if any(i.severity is Severity.ERROR for i in issues):
        return "rejected"
    return "accepted with warnings" if issues else "accepted"


def collect(
    root: Path,
    setup: ProjectSetup,
    inbox: Path,
    *,
    now: dt.datetime,
    limits: Limits = Limits(),
    progress: Progress | None = None,
) -> CollectResult:
    """Read, check, archive and register every new file below ``inbox``."""
    folder = ProjectFolder(root)
    register = Register(root)
    archive = Archive(root, register, setup, limits)
    result = CollectResult(ignored=inbox_ignored(inbox))
    pending = _new_files(inbox, folder, register, result)
    reads = _read(pending, setup, archive, now, limits, progress)
    # The same place proposed by several partners: this run's returns against each
    # other and against the accepted returns of the other partners for the same periods.
    new_returns = [r.ret for r in reads.values() if r.ret is not None]
    periods, partners = {r.period for r in new_returns}, {r.partner for r in new_returns}
    others = [r for _, r in archive.read_many([e for e in register.current() if e.period in periods and e.partner not in partners])]
    across = check_across([*new_returns, *others])
    for path, (rel, sha) in pending.items():
        read = reads[path]
        ret, found = read.ret, read.issues
        if ret is not None:
            found = found + [i for i in across if i.file == ret.file and i.partner == ret.partner]
        found = [i.model_copy(update={"file": shown_name(path.name)}) for i in found]
        entry = Entry(
            file=rel, sha256=sha, received=_received(path), status=read.status or _status(found),
            partner=ret.partner if ret else None, period=ret.period if ret else None,
            errors=sum(1 for i in found if i.severity is Severity.ERROR),
            warnings=sum(1 for i in found if i.severity is Severity.WARNING),
            issues=found,
        )
        entry.model_dump_json()  # what the register cannot store fails here, before anything is written
        if ret is not None and found:  # a feedback workbook is rewritten by the next run: it may come first
            out = folder.feedback(ret.period) / feedback_name(setup, ret.period, ret.partner)
            write_feedback(out, setup, ret, found, generated_at=now, prefill=archive.prefill(ret.partner, ret.period))
            entry.feedback = folder.record(out)
        if ret is not None and entry.accepted:  # the one step that cannot be undone, registered right after
            archived = archive_copy(root, path, ret.period, ret.partner, entry.received, sha, read.format)
            entry.archived = folder.record(archived)
            archive.archived(sha, ret, archived)  # its parsed record: the next commands need not open it again
        register.add(entry)
        result.collected.append(Collected(path, entry, ret))
    return result


def _new_files(inbox: Path, folder: ProjectFolder, register: Register, result: CollectResult) -> dict[Path, tuple[str, str]]:
    """The files not collected before, by path: (name in the register, sha256).

    A file seen in an earlier run is counted as skipped; a copy of a file already
    received (this run or earlier) is registered at once as a duplicate.
    """
    pending: dict[Path, tuple[str, str]] = {}
    for path in sorted(inbox_files(inbox), key=lambda p: (_received(p), str(p))):
        rel = shown_name(folder.record(path))
        sha = sha256_of(path)
        if register.seen(rel, sha):
            result.skipped += 1
            continue
        first = register.first_with(sha)
        earlier = first.file if first else next((r for r, s in pending.values() if s == sha), None)
        if earlier is None:
            pending[path] = (rel, sha)
            continue
        entry = Entry(
            file=rel, sha256=sha, received=_received(path), status="duplicate", warnings=1,
            issues=[issue("duplicate-file", value=earlier, file=shown_name(path.name))],
            partner=first.partner if first else None, period=first.period if first else None,
        )
        register.add(entry)
        result.collected.append(Collected(path, entry))
    return pending


def _read(pending: dict[Path, tuple[str, str]], setup: ProjectSetup, archive: Archive, now: dt.datetime,
          limits: Limits, progress: Progress | None) -> dict[Path, ReadOutcome]:
    """Each pending file opened and read in the limited workers, then checked against the rules."""
    reads: dict[Path, ReadOutcome] = {}
    for path, outcome in open_files(list(pending), limits, progress=progress, then=partial(read_opened, setup=setup)):
        if isinstance(outcome, FileProblem):
            outcome = ReadOutcome(None, [outcome.issue], "rejected", path.suffix.lstrip(".").lower() or "bin")
        ret = outcome.ret
        if ret is not None:
            outcome.issues += [*_timing(ret, setup, now), *check_return(ret, setup, archive.latest(ret.partner, ret.period - 1))]
        reads[path] = outcome
    return reads
