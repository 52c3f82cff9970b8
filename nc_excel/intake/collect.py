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

from nc_excel.feedback import feedback_name, write_feedback
from nc_excel.intake.archive import Entry, Register, Status, archive_copy, inbox_files
from nc_excel.intake.files import FileProblem, Limits, OpenedFile, open_files
from nc_excel.intake.prefill import prefill_from
from nc_excel.intake.returns import NotAReturn, Return, Workbook, read_return
from nc_excel.issues import Issue, Severity, issue
from nc_excel.rules import check_across, check_return
from nc_excel.setup.models import ProjectSetup
from nc_excel.templates import Prefill

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

    @property
    def rejected(self) -> list[Collected]:
        return [c for c in self.collected if c.entry.status == "rejected"]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _received(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)


def book_of(opened: OpenedFile) -> Workbook:
    return Workbook(file=opened.path.name, sheets=opened.sheets, tables=opened.tables, date1904=opened.date1904)


class Archive:
    """Accepted returns read back from the archive, once each, many at a time in the reader's workers."""

    def __init__(self, root: Path, register: Register, setup: ProjectSetup, limits: Limits) -> None:
        self.root, self.register, self.setup, self.limits = root, register, setup, limits
        self._cache: dict[str, Return | None] = {}

    def read_many(self, entries: list[Entry]) -> list[Return]:
        """The returns of archived entries (an unreadable one is left out)."""
        todo = {self.root / e.archived: e for e in entries if e.archived and e.sha256 not in self._cache}
        for path, outcome in open_files(list(todo), self.limits, then=partial(read_opened, setup=self.setup)):
            self._cache[todo[path].sha256] = None if isinstance(outcome, FileProblem) else outcome.ret
        found = [self._cache.get(e.sha256) for e in entries]
        return [r for r in found if r is not None]

    def read(self, entry: Entry) -> Return | None:
        found = self.read_many([entry])
        return found[0] if found else None

    def latest(self, partner: str, period: int) -> Return | None:
        entry = self.register.latest_accepted(partner, period)
        return self.read(entry) if entry else None

    def prefill(self, partner: str, period: int) -> Prefill:
        """What the template of ``period`` carried over from the period before."""
        previous = self.latest(partner, period - 1)
        return prefill_from(previous, self.setup) if previous else Prefill()


@dataclass
class _Read:
    """A pending file once opened and read: its return (when it is one), issues and verdict so far."""

    ret: Return | None
    issues: list[Issue]
    status: Status | None  # None: decided by the issues once all returns are in
    format: str


def read_opened(opened: OpenedFile, setup: ProjectSetup) -> _Read:
    """Read an opened file as a return: runs in the reader's worker process, so it must
    return something picklable (rows keep their typed values, not the row models)."""
    try:
        ret = read_return(book_of(opened), setup)
    except NotAReturn as exc:
        status: Status = "not a return" if exc.issue.code == "no-metadata" else "rejected"
        return _Read(None, [*opened.warnings, exc.issue], status, opened.format)
    for rows in ret.tables.values():
        for row in rows:
            row.model = None
    for form in ret.forms.values():
        form.model = None
    return _Read(ret, [*opened.warnings, *ret.issues], None, opened.format)


def _timing(ret: Return, setup: ProjectSetup, now: dt.datetime) -> list[Issue]:
    """A return for a period that has not begun is the wrong template."""
    period = setup.period(ret.period)
    if period.start <= now.date():
        return []
    current = max((p.number for p in setup.periods if p.start <= now.date()), default=setup.periods[0].number)
    return [issue("future-period", value=ret.period, start=period.start, current=current, file=ret.file, partner=ret.partner, period=ret.period, sheet="Start")]


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
    register = Register(root)
    archive = Archive(root, register, setup, limits)
    result = CollectResult()
    pending: dict[Path, tuple[str, str]] = {}  # path -> (name in the register, sha256)
    for path in sorted(inbox_files(inbox), key=lambda p: (_received(p), str(p))):
        rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
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
            issues=[issue("duplicate-file", value=earlier, file=path.name)],
            partner=first.partner if first else None, period=first.period if first else None,
        )
        register.add(entry)
        result.collected.append(Collected(path, entry))

    reads: dict[Path, _Read] = {}
    for path, outcome in open_files(list(pending), limits, progress=progress, then=partial(read_opened, setup=setup)):
        if isinstance(outcome, FileProblem):
            outcome = _Read(None, [outcome.issue], "rejected", path.suffix.lstrip(".").lower() or "bin")
        ret = outcome.ret
        if ret is not None:
            outcome.issues += [*_timing(ret, setup, now), *check_return(ret, setup, archive.latest(ret.partner, ret.period - 1))]
        reads[path] = outcome

    # The same place proposed by several partners: this run's returns against each
    # other and against the accepted returns of the other partners for the same periods.
    new_returns = [r.ret for r in reads.values() if r.ret is not None]
    periods, partners = {r.period for r in new_returns}, {r.partner for r in new_returns}
    others = archive.read_many([e for e in register.current() if e.period in periods and e.partner not in partners])
    across = check_across([*new_returns, *others])

    for path, (rel, sha) in pending.items():
        read = reads[path]
        ret, found = read.ret, read.issues
        if ret is not None:
            found = found + [i for i in across if i.file == ret.file and i.partner == ret.partner]
        found = [i.model_copy(update={"file": path.name}) for i in found]
        entry = Entry(
            file=rel, sha256=sha, received=_received(path), status=read.status or _status(found),
            partner=ret.partner if ret else None, period=ret.period if ret else None,
            errors=sum(1 for i in found if i.severity is Severity.ERROR),
            warnings=sum(1 for i in found if i.severity is Severity.WARNING),
            issues=found,
        )
        if ret is not None and entry.accepted:
            target = archive_copy(root, path, ret.period, ret.partner, entry.received, sha, read.format)
            entry.archived = str(target.relative_to(root))
        if ret is not None and found:
            out = root / "feedback" / str(ret.period) / feedback_name(setup, ret.period, ret.partner)
            write_feedback(out, setup, ret, found, generated_at=now, prefill=archive.prefill(ret.partner, ret.period))
            entry.feedback = str(out.relative_to(root))
        register.add(entry)
        result.collected.append(Collected(path, entry, ret))
    return result
