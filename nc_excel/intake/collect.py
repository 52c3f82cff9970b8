"""Collect: every file in the inbox read, checked, archived, registered and answered.

Each file is judged on its own, against the files received before it (this run's
too), and archived when accepted; then the run's feedback workbooks are written over
the cores, and each file's register line right after its workbook, in the order of
receipt. A file that stops the run never costs what was judged before it: those are
still answered and registered. Only accepted returns reach the archive; a return
with any error is rejected, and its partner gets a feedback workbook.

Receipt is ours to record: a file is received when a collect run first sees it
(the run's ``now``), and the files of one run are taken in the order of their
paths. The register's order decides which return is newer, never a file's
modified time (a file saved from an e-mail keeps the time the partner saved it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from nc_excel.atomic import replacing
from nc_excel.certificate.checks import check_certificate
from nc_excel.certificate.schema import Certificate, Declared, declared_of
from nc_excel.certificate.schema import feedback_name as certificate_feedback_name
from nc_excel.certificate.write import write_certificate_workbook
from nc_excel.excel.text import shown_name
from nc_excel.folder import ProjectFolder
from nc_excel.intake.archive import (
    ACCEPTED,
    LATE,
    REPLACED,
    Archive,
    Entry,
    Ignored,
    ReadOutcome,
    Register,
    Status,
    archive_copy,
    archived_name,
    inbox_files,
    inbox_ignored,
    read_opened,
)
from nc_excel.intake.record import Reported, as_read_from, encode_return
from nc_excel.intake.rules import check_across, check_return, proposes_places
from nc_excel.intake.sniff import FileProblem, Limits
from nc_excel.intake.workers import open_files
from nc_excel.issues import Issue, Severity, issue
from nc_excel.partner.currency import conversion
from nc_excel.partner.feedback import feedback_name, write_feedback
from nc_excel.partner.read import Return
from nc_excel.partner.schema import START_SHEET, SUBMISSION_FORM
from nc_excel.setup.models import ProjectSetup, default_period
from nc_excel.spread import spread

Progress = Callable[[int, int, str], None]


@dataclass
class Collected:
    """One file of this run and what became of it."""

    path: Path
    entry: Entry
    ret: Return | None = None
    certificate: Certificate | None = None
    replaced: Entry | None = None  # the partner's accepted return for the period that this one replaced

    @property
    def issues(self) -> list[Issue]:
        return self.entry.issues


@dataclass
class CollectResult:
    collected: list[Collected] = field(default_factory=list)
    skipped: int = 0  # files collected in an earlier run
    ignored: list[Ignored] = field(default_factory=list)  # hidden files, lock files, symbolic links: not read
    register_problems: list[str] = field(default_factory=list)  # what the register held that it never should, settled by this run

    @property
    def rejected(self) -> list[Collected]:
        return [c for c in self.collected if c.entry.status == "rejected"]

    @property
    def replacing(self) -> list[Collected]:
        """Returns of this run that replaced a partner's accepted return for the period."""
        return [c for c in self.collected if c.replaced is not None]

    @property
    def late(self) -> list[Collected]:
        """Returns of this run received after their period's partner deadline."""
        return [c for c in self.collected if c.entry.late]

    @property
    def not_returns(self) -> list[Collected]:
        """Files that are not returns of this project (no nc-excel metadata)."""
        return [c for c in self.collected if c.entry.status == "not a return"]


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _late(ret: Return, register: Register, setup: ProjectSetup, now: dt.datetime) -> list[Issue]:
    """A return is late when the partner's first file for the period came in after the period's partner deadline.

    A correction of a return sent in time is not late; a partner catching up a
    period it missed is, however long after.
    """
    deadline = setup.period(ret.period).partner_deadline
    first = register.first_of(ret.partner, ret.period)
    received = (first.received if first else now).date()
    if received <= deadline:
        return []
    return [issue(LATE, value=f"{received:%d %b %Y}", deadline=f"{deadline:%d %b %Y}", file=ret.file, partner=ret.partner, period=ret.period)]


def _replaced(older: Entry, ret: Return) -> Issue:
    """An accepted return replaces the partner's current one for the period: said, naming the one it replaces."""
    return issue(REPLACED, value=older.file, received=f"{older.received:%d %b %Y %H:%M}", file=ret.file, partner=ret.partner, period=ret.period)


def _by_first_report(returns: list[Return | Reported], register: Register) -> list[Return | Reported]:
    """Returns in the order their partners first reported for the period (this run's new partners last, as received)."""
    def first(position: int) -> int:
        entry = register.first_of(returns[position].partner, returns[position].period)
        return entry.seq if entry else register.next_seq + position
    return [returns[i] for i in sorted(range(len(returns)), key=first)]


def _timing(ret: Return, setup: ProjectSetup, now: dt.datetime) -> list[Issue]:
    """A return for a period that has not begun is the wrong template."""
    period = setup.period(ret.period)
    if period.start <= now.date():
        return []
    return [issue("future-period", value=ret.period, start=period.start, current=default_period(setup, now.date()), file=ret.file, partner=ret.partner, period=ret.period, sheet=ret.sheets.get(SUBMISSION_FORM, START_SHEET))]


def _status(issues: list[Issue]) -> Status:
    """Rejected on an error; a note (a number read from text) leaves a return plainly accepted."""
    if any(i.severity is Severity.ERROR for i in issues):
        return "rejected"
    return "accepted with warnings" if any(i.severity is Severity.WARNING for i in issues) else "accepted"


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
    result = CollectResult(ignored=inbox_ignored(inbox), register_problems=register.problems)
    pending = _new_files(inbox, folder, register, result, now)
    reads = _read(pending, setup, archive, now, limits, progress)
    # The same place proposed by several partners: this run's returns against each
    # other and against the accepted returns of the other partners for the same periods.
    new_returns = [r.ret for r in reads.values() if r.ret is not None]
    periods = {r.period for r in new_returns if proposes_places(r)}  # only a proposed place can have been proposed before
    partners = {r.partner for r in new_returns}
    others = [r for _, r in archive.reported([e for e in register.current() if e.period in periods and e.partner not in partners])]
    across = check_across(_by_first_report([*others, *new_returns], register))
    staged: list[tuple[_Answer | None, Callable[[], None]]] = []
    try:
        for path, (rel, sha) in pending.items():
            read = reads[path]
            ret, cert, found, replaced = read.ret, read.certificate, read.issues, None
            if ret is not None:
                found = [*found, *(i for i in across if i.file == ret.file and i.partner == ret.partner), *_late(ret, register, setup, now)]
                if _status(found) in ACCEPTED and (replaced := register.latest_accepted(ret.partner, ret.period)) is not None:
                    found.append(_replaced(replaced, ret))
            certifies = _certified(archive, register, cert) if cert is not None else None
            if cert is not None:  # against the partner's current return, which may have come earlier in this run
                found = found + check_certificate(cert, certifies)
            found = [i.model_copy(update={"file": shown_name(path.name)}) for i in found]
            whose = ret or cert
            entry = Entry(
                file=rel, sha256=sha, received=now, status=read.status or _status(found), kind=read.kind,
                partner=whose.partner if whose else None, period=whose.period if whose else None,
                errors=sum(1 for i in found if i.severity is Severity.ERROR),
                warnings=sum(1 for i in found if i.severity is Severity.WARNING),
                issues=found,
            )
            entry.model_dump_json()  # what the register cannot store fails here, before anything is written
            answer = None
            if ret is not None:
                answer = _Answer.to(folder.feedback(ret.period) / feedback_name(setup, ret.period, ret.partner), register.next_seq, now,
                                    partial(write_feedback, ret=ret, issues=found, generated_at=now,
                                            prefill=archive.prefill(ret.partner, ret.period)) if found else None)
            if cert is not None and certifies is not None:  # without a return there is nothing to prefill it from
                answer = _Answer.to(folder.feedback(cert.period) / certificate_feedback_name(setup, cert.period, cert.partner), register.next_seq, now,
                                    partial(_certificate_feedback, cert=cert, declared=certifies, found=found, now=now) if found else None)
            entry.feedback = folder.record(answer.out) if answer is not None and answer.write is not None else None
            if whose is not None and entry.accepted:  # the one step that cannot be undone, registered as soon as its feedback is written
                archived = archive_copy(root, path, whose.period, whose.partner, entry.received, sha, read.format)
                entry.archived = folder.record(archived)
                if ret is not None:
                    archive.archived(sha, ret, archived, read.record)  # its parsed record: the next commands need not open it again
            staged.append((answer, register.stage(entry)))
            result.collected.append(Collected(path, entry, ret, cert, replaced))
    finally:  # what was judged before a file that stopped the run is still answered and registered
        _answer_and_register(staged, setup)
    return result


@dataclass(frozen=True)
class _Answer:
    """A submission's feedback workbook: written to ``out`` (named by its receipt, never overwritten, so a
    partner's earlier feedback stays) and copied to ``stable``, the name partners know.

    ``write(out, setup=...)`` writes it; None when the submission had nothing to say about, and then no
    ``stable`` copy is left to show an earlier submission's problems as the latest.
    """

    stable: Path
    out: Path
    write: Callable[..., object] | None

    @classmethod
    def to(cls, stable: Path, receipt: int, now: dt.datetime, write: Callable[..., object] | None) -> _Answer:
        return cls(stable, stable.with_name(f"{stable.stem}_{now:%Y-%m-%d_%H%M}_no{receipt}{stable.suffix}"), write)


def _answered(setup: ProjectSetup, answer: _Answer) -> None:
    """Write an answer's workbook (in a worker of ``spread``: only answers with a workbook are handed over)."""
    if answer.write is not None:
        answer.write(answer.out, setup=setup)


def _answer_and_register(staged: list[tuple[_Answer | None, Callable[[], None]]], setup: ProjectSetup) -> None:
    """The staged files' feedback workbooks written over the cores, and each file's register line written
    after its workbook, in the order of receipt: a register line never names a workbook not yet written."""
    written = spread(_answered, setup, [a for a, _ in staged if a is not None and a.write is not None])
    for answer, register in staged:
        if answer is not None and answer.write is None:
            answer.stable.unlink(missing_ok=True)
        elif answer is not None:
            next(written)
            with replacing(answer.stable) as tmp:
                shutil.copyfile(answer.out, tmp)
        register()


def _certified(archive: Archive, register: Register, cert: Certificate) -> Declared | None:
    """What a certificate certifies: the partner's current accepted return of its period, or None."""
    entry = register.latest_accepted(cert.partner, cert.period)
    ret = archive.read(entry) if entry else None
    return declared_of(ret, entry.received.date(), entry.sha256) if entry and ret else None


def _certificate_feedback(out: Path, *, setup: ProjectSetup, cert: Certificate, declared: Declared, found: list[Issue], now: dt.datetime) -> None:
    """The certificate's feedback workbook: prefilled from the current return (so a certificate of a corrected
    report comes back with the corrected amounts), what the partner typed, and every issue at its cell."""
    typed = {key: {**line.values, **line.raw} for key, line in cert.lines.items()}
    form = {**cert.details(), **(cert.form.raw if cert.form else {})}
    write_certificate_workbook(out, setup, cert.partner, cert.period, declared, generated_at=now, lines=typed, form=form, issues=found)


def _new_files(inbox: Path, folder: ProjectFolder, register: Register, result: CollectResult, now: dt.datetime) -> dict[Path, tuple[str, str]]:
    """The files not collected before, in the order of their paths below the inbox: (name in the register, sha256).

    A file seen in an earlier run is counted as skipped; a copy of a file already
    received (this run or earlier) is registered at once as a duplicate.
    """
    pending: dict[Path, tuple[str, str]] = {}
    depth = len(inbox.parts)
    for path in sorted(inbox_files(inbox), key=lambda p: p.parts[depth:]):
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
            file=rel, sha256=sha, received=now, status="duplicate", warnings=1,
            issues=[issue("duplicate-file", value=earlier, file=shown_name(path.name))],
            partner=first.partner if first else None, period=first.period if first else None,
        )
        register.add(entry)
        result.collected.append(Collected(path, entry))
    return pending


def _read(pending: dict[Path, tuple[str, str]], setup: ProjectSetup, archive: Archive, now: dt.datetime,
          limits: Limits, progress: Progress | None) -> dict[Path, ReadOutcome]:
    """Each pending file opened and read in the limited workers, and checked against the rules as it comes back
    (while the workers read the next ones).

    The reads are kept in the order of ``pending`` (the order of receipt), not the order the
    workers finished in: which of two returns proposed a place first must not depend on timing.
    A return outside the euro area that would count needs the Rates sheet's rate of its
    month of submission: without it, ``MissingRate`` stops the run before any file of it
    is registered, so they are all collected once the coordinator has added the rate.
    """
    finished: dict[Path, ReadOutcome] = {}
    later: list[tuple[Path, Return, ReadOutcome]] = []  # returns whose partner's earlier returns must be read from their workbooks
    for path, outcome in open_files(list(pending), limits, progress=progress, then=partial(read_opened, setup=setup)):
        if isinstance(outcome, FileProblem):
            outcome = ReadOutcome(None, [outcome.issue], "rejected", path.suffix.lstrip(".").lower() or "bin")
        finished[path] = outcome
        if (ret := outcome.ret) is None:
            continue
        if not any(i.severity is Severity.ERROR for i in outcome.issues):  # before anything is registered: a missing rate stops the run
            conversion(ret, setup, now.date())
        earlier = archive.recorded(archive.earlier(ret.partner, ret.period))
        if earlier is None:
            later.append((path, ret, outcome))
        else:
            _check(ret, outcome, setup, now, earlier, pending[path][1])
    if later:  # their workbooks read in one go, once the inbox is read
        earlier_of = _reported_before([ret for _, ret, _ in later], archive)
        for path, ret, outcome in later:
            _check(ret, outcome, setup, now, earlier_of.get(ret.partner, []), pending[path][1])
    return {path: finished[path] for path in pending}


def _check(ret: Return, outcome: ReadOutcome, setup: ProjectSetup, now: dt.datetime, earlier: Sequence[Reported], sha256: str) -> None:
    """A return's own checks (its period begun, every rule against its partner's earlier returns); without
    an error it will be archived, so its record is made now, as reading its archived copy would read it."""
    timing = _timing(ret, setup, now)
    if timing:  # the template is wrong, not the dates: nobody is told to move them into its period
        outcome.issues = [i for i in outcome.issues if i.code != "date-outside-window"]
    outcome.issues += [*timing, *check_return(ret, setup, earlier)]
    if not any(i.severity is Severity.ERROR for i in outcome.issues):
        outcome.record = encode_return(as_read_from(ret, archived_name(now, sha256, outcome.format)))


def _reported_before(returns: list[Return], archive: Archive) -> dict[str, list[Reported]]:
    """What each partner's current accepted returns of the periods before its returns in this batch reported,
    oldest first: from their records, the rest read in one go (one pool of workers, not one per return)."""
    last: dict[str, int] = {}
    for ret in returns:
        last[ret.partner] = max(last.get(ret.partner, 0), ret.period)
    wanted = [e for e in archive.register.current() if e.partner in last and e.period is not None and e.period < last[e.partner]]
    found: dict[str, list[Reported]] = defaultdict(list)
    for _, reported in sorted(archive.reported(wanted), key=lambda pair: pair[1].period):
        found[reported.partner].append(reported)
    return found
