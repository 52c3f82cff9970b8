"""A project folder and the actions on it: the one API that the CLI and the ribbon call.

Nothing here prints. Long actions report progress through a callback, and
expected problems raise ``NcError`` subclasses whose message says what is wrong,
where, and what to do.
"""

from __future__ import annotations

import datetime as dt
import getpass
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nc_excel import processes
from nc_excel.atomic import replacing
from nc_excel.certificate.schema import certificate_name, declared_of
from nc_excel.certificate.write import write_certificate_workbook
from nc_excel.excel.values import SpreadsheetError, open_values
from nc_excel.excel.write import Styles, atomic_workbook
from nc_excel.folder import MASTER, REPLACED, ProjectFolder
from nc_excel.gc_policy import few_full_collections
from nc_excel.intake.archive import Archive, Entry, Register, RegisterError
from nc_excel.intake.collect import CollectResult, collect
from nc_excel.intake.sniff import Limits
from nc_excel.issues import Issue
from nc_excel.lock import ProjectBusy, project_lock
from nc_excel.master.schema import DASHBOARD as DASHBOARD_SHEET
from nc_excel.partner.prefill import with_selected_labs
from nc_excel.partner.schema import template_name
from nc_excel.partner.write import PartnerBook, write_book
from nc_excel.setup.blank import INSTRUCTIONS, blank_setup
from nc_excel.setup.currency import MissingRate
from nc_excel.setup.demo import northern_connections
from nc_excel.setup.models import ProjectSetup, templates_period
from nc_excel.setup.sheets import (
    read_setup,
    write_instructions_sheet,
    write_setup_sheets,
)
from nc_excel.spread import spread

if TYPE_CHECKING:
    from nc_excel.board.write import SummaryResult
    from nc_excel.master.build import MasterResult
    from nc_excel.report.remind import RemindResult
    from nc_excel.report.write import ReportResult

# The master's build, the board summary and the report (pandas, openpyxl) are imported by the
# actions that use them: a collect or a look at the register starts without them.

DASHBOARD = DASHBOARD_SHEET.name

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, label)`` while an action runs."""


class NcError(Exception):
    """An expected problem, with a message written for the person who can fix it."""

    exit_code = 2


class ProjectError(NcError):
    """The project folder is missing, not a project, or already one."""


class ProjectLocked(NcError):
    """Another collect, build, templates run or restore is working on the project."""


class SetupInvalid(NcError):
    """The setup sheets of the master have errors; ``issues`` lists them with their cells."""

    def __init__(self, path: Path, issues: list[Issue], message: str | None = None) -> None:
        self.issues = issues
        super().__init__(message or f"{path}: the setup sheets have {sum(i.severity == 'error' for i in issues)} error(s). Correct them in Excel and try again.")


class RateMissing(NcError):
    """A report in a partner's own currency needs a rate the Rates sheet does not have: the message names the month and the currency."""


@dataclass(frozen=True)
class CertificateTemplates:
    """The FLC certificate workbooks written, and the partners who got none: no accepted return of the period yet."""

    written: list[Path]
    without_return: list[str]


@dataclass(frozen=True)
class RestoreResult:
    """What ``restore`` put back, and where the master it replaced was kept."""

    master: Path
    restored: Path  # the backup now in place
    replaced: Path | None  # the backup of the master it replaced (None: there was none)


def _no_progress(done: int, total: int, label: str) -> None:
    return None


def _user() -> str:
    """Who is deciding, for the register: the login name (``unknown`` where the system has none)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


@dataclass(frozen=True)
class Workspace(ProjectFolder):
    """A project folder (its paths from ``ProjectFolder``) and the actions on it.

    ``strict`` makes setup warnings errors. ``setup_warnings`` holds the warnings the
    last read of the setup found (a partner budget total that does not add up), for
    the caller to show on every command, a clean one too.
    """

    strict: bool = False
    setup_warnings: list[Issue] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def create(cls, root: Path, setup: ProjectSetup | None = None, *, created: dt.datetime | None = None, blank: bool = False) -> Workspace:
        """Make a project folder holding ``master.xlsx`` with the setup (Northern Connections by default).

        ``blank``: a project of one's own instead, one example row per setup sheet and an
        Instructions sheet first.
        """
        ws = cls(root)
        if ws.master.exists():
            raise ProjectError(f"{root} already holds a project ({MASTER}). Choose another folder, or work in this one with --project {root}.")
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root} is a file, not a folder. Choose a folder name for the project.")
        key = secrets.token_hex(16)
        setup = setup or (blank_setup(template_key=key) if blank else northern_connections(template_key=key))
        ws.make()
        with atomic_workbook(ws.master, created=created) as wb:
            styles = Styles(wb)
            if blank:
                write_instructions_sheet(wb, styles, INSTRUCTIONS)
            write_setup_sheets(wb, styles, setup)
        return ws

    @classmethod
    def open(cls, root: Path, *, strict: bool = False) -> Workspace:
        ws = cls(root, strict=strict)
        if not ws.master.is_file():
            raise ProjectError(f"{root} is not a project folder: {MASTER} is missing. Create one with `nc-excel init {root}`, or name the project folder with --project.")
        return ws

    @contextmanager
    def _locked(self, command: str) -> Iterator[None]:
        """Hold the project lock for ``command``: one collect, build, templates run or restore at a time."""
        try:
            with project_lock(self.lock, command):
                yield
        except ProjectBusy as exc:
            raise ProjectLocked(str(exc)) from None

    def setup(self) -> ProjectSetup:
        """The setup as the coordinator left it in the master; raises ``SetupInvalid`` with every error."""
        setup, issues = read_setup(self.master)
        if setup is None:
            unreadable = next((i for i in issues if i.code == "unreadable-file"), None)
            if unreadable is not None:  # the master as a whole, not a setup cell
                raise SetupInvalid(self.master, issues, f"{self.master} cannot be read ({unreadable.message}). {self.restore_advice()}")
            raise SetupInvalid(self.master, issues)
        if self.strict and issues:
            raise SetupInvalid(self.master, issues, f"{self.master}: the setup sheets have {len(issues)} warning(s), errors with --strict. Correct them in Excel and try again.")
        self.setup_warnings[:] = issues
        return setup

    def restore(self, backup: Path | str | None = None) -> RestoreResult:
        """Put a backup of the master back (the newest, or ``backup``: a path or a file name in backups/).

        The master it replaces, even a damaged one, is backed up first (as
        ``backups/master_<stamp>_replaced.xlsx``, which is never taken for the newest backup); the master is
        replaced atomically, and never while a spreadsheet application has it open.
        """
        if not self.master.exists() and not self.backup_files():
            raise ProjectError(f"{self.root} is not a project folder: {MASTER} is missing and {self.backups} holds no backup. Name the folder with --project.")
        if self.master_is_open():
            from nc_excel.master.build import lock_file

            lock = lock_file(self.master)
            raise ProjectError(f"{MASTER} is open in a spreadsheet application ({lock.name if lock else 'its lock file'} exists). Close it and run the restore again; nothing was changed.")
        with self._locked("restore"):
            return self._restore(self._backup_to_restore(backup))

    def _restore(self, source: Path) -> RestoreResult:
        """Put ``source`` in place of the master, backing the master up first."""
        try:
            open_values(source, set())
        except SpreadsheetError as exc:
            raise ProjectError(f"The backup {source} cannot be read either ({exc}); nothing was changed. Name another file of {self.backups}.") from exc
        replaced = None
        if self.master.exists():
            replaced = self.new_backup(REPLACED)
            with replacing(replaced) as tmp:
                shutil.copy2(self.master, tmp)
        try:
            with replacing(self.master, mode=self.master.stat().st_mode & 0o777 if self.master.exists() else None) as tmp:
                shutil.copyfile(source, tmp)
        except PermissionError as exc:
            raise ProjectError(f"{MASTER} cannot be replaced: it is probably open in Excel. Close it and run the restore again; the master was not changed.") from exc
        return RestoreResult(self.master, source, replaced)

    def _backup_to_restore(self, backup: Path | str | None) -> Path:
        found = self.backup_files()
        if backup is None:
            newest = self.newest_backup()
            if newest is None:
                raise ProjectError(f"There is no backup in {self.backups} to restore; nothing was changed.")
            return newest
        path = Path(backup)
        candidates = [path] if path.is_absolute() or len(path.parts) > 1 else [path, self.backups / path]
        source = next((p for p in reversed(candidates) if p.is_file()), None)
        if source is None:
            listed = ", ".join(p.name for p in found[-5:]) or "none"
            raise ProjectError(f"There is no backup {backup}; nothing was changed. The newest in {self.backups}: {listed}.")
        if source.resolve() == self.master.resolve():
            raise ProjectError(f"{backup} is the master itself; name a file of {self.backups}.")
        return source

    @staticmethod
    def _partner_codes(setup: ProjectSetup, period: int, partners: Sequence[str] | None) -> list[str]:
        """The partners named (all by default), after checking the period and every code against the setup."""
        known = [p.code for p in setup.partners]
        if period not in [p.number for p in setup.periods]:
            raise ProjectError(f"There is no reporting period {period}; the Periods sheet has {', '.join(str(p.number) for p in setup.periods)}.")
        by_upper = {c.upper(): c for c in known}  # partner codes are typed in any case
        unknown = [c for c in partners or [] if c.upper() not in by_upper]
        if unknown:
            raise ProjectError(f"Unknown partner code(s) {', '.join(unknown)}; the Partners sheet has {', '.join(known)}.")
        return [by_upper[c.upper()] for c in partners] if partners else known

    def generate_templates(
        self,
        period: int,
        partners: Sequence[str] | None = None,
        *,
        now: dt.datetime | None = None,
        force: bool = False,
        progress: Progress = _no_progress,
    ) -> list[Path]:
        """Write one partner workbook per partner (or those named) into ``outbox/<period>/``.

        The template of a partner whose return for the period was accepted is not replaced
        without ``force``: the coordinator would lose the workbook the return was made from.
        Nothing is written then.

        A partner with living labs the coordinator marked Selected on the master is asked
        about them (companies engaged, activities) instead of for new candidates.
        """
        setup = self.setup()
        codes = self._partner_codes(setup, period, partners)
        now = now or dt.datetime.now().replace(microsecond=0)
        with self._locked("templates"):
            register = Register(self.root)
            returned = sorted({e.partner for e in register.current(period) if e.partner in codes
                               and (self.outbox(period) / template_name(setup, period, e.partner)).exists()})
            if returned and not force:
                raise ProjectError(
                    f"{', '.join(returned)} already sent back their period-{period} report, so their templates in {self.outbox(period)} were not replaced "
                    f"(nothing was written). Leave them out with --partner, or replace them anyway with `{self.command(f'templates --period {period} --force')}`."
                )
            archive = Archive(self.root, register, setup, Limits())
            archive.read_many([e for e in register.current() if e.period is not None and e.period < period])  # the returns to carry over, in one go
            from nc_excel.master.decisions import MasterError, selected_labs

            try:
                selected = selected_labs(self.master)
            except MasterError as exc:
                raise ProjectError(str(exc)) from exc
            try:  # "declared before" in euros needs the rate of each earlier report: known before anything is written
                books = [PartnerBook(self.outbox(period) / template_name(setup, period, code), code, period,
                                     prefill=with_selected_labs(archive.prefill(code, period), selected.get(code, []))) for code in codes]
            except MissingRate as exc:
                raise RateMissing(str(exc)) from None
            written = []
            for book, path in zip(books, spread(write_book, (setup, now), books)):  # in the order of books
                progress(len(written), len(codes), book.partner)
                written.append(path)
        progress(len(codes), len(codes), "done")
        return written

    def generate_certificates(
        self,
        period: int,
        partners: Sequence[str] | None = None,
        *,
        now: dt.datetime | None = None,
        progress: Progress = _no_progress,
    ) -> CertificateTemplates:
        """Write an FLC certificate workbook into ``outbox/<period>/flc/`` for each partner (or those named)
        with a current accepted return of ``period``, prefilled with what that return declared."""
        setup = self.setup()
        codes = self._partner_codes(setup, period, partners)
        now = now or dt.datetime.now().replace(microsecond=0)
        with self._locked("templates"):
            register = Register(self.root)
            archive = Archive(self.root, register, setup, Limits())
            current = {e.partner: e for e in register.current(period) if e.partner in codes}
            returns = {e.partner: ret for e, ret in archive.read_many(list(current.values()))}
            result = CertificateTemplates(written=[], without_return=[c for c in codes if c not in returns])
            todo = [c for c in codes if c in returns]
            for i, code in enumerate(todo):
                progress(i, len(todo), code)
                entry = current[code]
                path = self.certificates_outbox(period) / certificate_name(setup, period, code)
                write_certificate_workbook(path, setup, code, period, declared_of(returns[code], entry.received.date(), entry.sha256), generated_at=now)
                result.written.append(path)
        progress(len(todo), len(todo), "done")
        return result

    def collect(
        self, inbox: Path | None = None, *, now: dt.datetime | None = None, limits: Limits | None = None, progress: Progress = _no_progress
    ) -> CollectResult:
        """Read, check and archive every new file in the inbox; write feedback workbooks."""
        inbox = inbox or self.inbox
        if not inbox.is_dir():
            raise ProjectError(f"The inbox {inbox} does not exist. Put the partners' returns in {self.inbox} or name a folder with --inbox.")
        processes.start_for(inbox)
        setup = self.setup()
        now = now or dt.datetime.now().replace(microsecond=0)
        with self._locked("collect"), few_full_collections():
            try:
                return collect(self.root, setup, inbox, now=now, limits=limits or Limits(), progress=progress)
            except MissingRate as exc:
                raise RateMissing(f"{exc} Nothing of this run was collected; the files wait in the inbox.") from None

    def build(
        self, *, as_of: dt.date | None = None, period: int | None = None, progress: Progress = _no_progress
    ) -> MasterResult:
        """Rebuild master.xlsx from the setup, the archive and the coordinator's decisions.

        ``period`` defaults to ``reported_period``, the latest period with accepted returns
        (before any, to the period the ``as_of`` date falls in).
        """
        from nc_excel.master.build import build_master
        from nc_excel.master.decisions import MasterError

        setup = self.setup()
        period = period or self.reported_period()
        if period is not None and period not in [p.number for p in setup.periods]:
            raise ProjectError(f"There is no reporting period {period}; the Periods sheet has {', '.join(str(p.number) for p in setup.periods)}.")
        try:
            with self._locked("build"):
                return build_master(self.root, setup, as_of=as_of or dt.date.today(), period=period, progress=progress)
        except MasterError as exc:
            raise ProjectError(str(exc)) from exc
        except MissingRate as exc:
            raise RateMissing(f"{exc} The master was not rebuilt.") from None

    def returns(self, partner: str | None = None, period: int | None = None) -> list[Entry]:
        """The partners' returns in the register (of ``partner``, of ``period``), in the order received."""
        setup = self.setup()
        code = self._partner_codes(setup, period or setup.periods[0].number, [partner])[0] if partner else None
        return Register(self.root).returns_of(code, period)

    def withdraw(self, partner: str, period: int, why: str | None = None, *, by: str | None = None, now: dt.datetime | None = None) -> Entry:
        """Withdraw the partner's return that counts for ``period``: recorded in the register, no file deleted.

        It drops out of the master at the next build, and the partner's template may be
        written again; ``reopen`` makes it count again.
        """
        return self._decide(Register.withdraw, partner, period, why, by, now)

    def reopen(self, partner: str, period: int, why: str | None = None, *, by: str | None = None, now: dt.datetime | None = None) -> Entry:
        """Make the partner's last withdrawn return of ``period`` count again."""
        return self._decide(Register.reopen, partner, period, why, by, now)

    def _decide(self, action: Callable[..., Entry], partner: str, period: int, why: str | None, by: str | None, now: dt.datetime | None) -> Entry:
        code = self._partner_codes(self.setup(), period, [partner])[0]
        with self._locked("returns"):
            try:
                return action(Register(self.root), code, period, by=by or _user(), at=now or dt.datetime.now().replace(microsecond=0), why=why)
            except RegisterError as exc:
                raise ProjectError(f"{exc} See `{self.command(f'returns list --partner {code} --period {period}')}`.") from None

    def reported_period(self) -> int | None:
        """The latest period with an accepted return, which a build shows by default; None before any."""
        return max((e.period for e in Register(self.root).current() if e.period is not None), default=None)

    def master_is_open(self) -> bool:
        """Whether Excel or LibreOffice has the master open (its lock file lies beside it)."""
        from nc_excel.master.build import lock_file

        return lock_file(self.master) is not None

    def built_period(self, dashboard: Sequence[Sequence[object]] | None = None) -> int | None:
        """The period the master was last built for, from its Dashboard; None before the first build.

        ``dashboard`` is the Dashboard's cells as an open workbook shows them; without
        it the saved master is read.
        """
        from nc_excel.board.read import SummaryError, read_dashboard

        try:
            grid = dashboard if dashboard is not None else open_values(self.master, {DASHBOARD}).get(DASHBOARD)
            return read_dashboard(grid or [], self.master).period
        except (SpreadsheetError, SummaryError):
            return None

    def summary(self, period: int | None = None, *, pdf: bool = False, progress: Progress = _no_progress) -> SummaryResult:
        """Write the board summary ``board/<ACRONYM>_board_P<period>.xlsx`` from the built master (and its PDF with ``pdf``).

        The master must have been built for ``period`` (by default the period it was built
        for). A missing LibreOffice is not an error here: the result has ``pdf=None`` and
        ``pdf_problem`` says why.
        """
        from nc_excel.board.read import SummaryError
        from nc_excel.board.write import build_summary

        setup = self.setup()
        period = self._reported_on(setup, period)
        try:
            return build_summary(self.root, setup, period, pdf=pdf, progress=progress)
        except SummaryError as exc:
            raise ProjectError(str(exc)) from exc

    def _reported_on(self, setup: ProjectSetup, period: int | None) -> int:
        """``period``, or the one the master was last built for; checked against the setup."""
        if period is None:
            period = self.built_period()
            if period is None:
                raise ProjectError(f"The master has not been built yet. Run `{self.command('build')}` first.")
        if period not in [p.number for p in setup.periods]:
            raise ProjectError(f"There is no reporting period {period}; the Periods sheet has {', '.join(str(p.number) for p in setup.periods)}.")
        return period

    def report(self, period: int | None = None, *, pdf: bool = False, progress: Progress = _no_progress) -> ReportResult:
        """Write the joint progress report ``report/<ACRONYM>_progress_P<period>.xlsx`` from the built master (and its PDF with ``pdf``).

        The master must have been built for ``period`` (by default the period it was built for).
        The coordinator's Project summary texts in an earlier report of the period are kept.
        """
        from nc_excel.report.read import ReportError
        from nc_excel.report.write import build_report

        setup = self.setup()
        period = self._reported_on(setup, period)
        try:
            return build_report(self.root, setup, period, pdf=pdf, progress=progress)
        except ReportError as exc:
            raise ProjectError(str(exc)) from exc

    def remind(self, period: int | None = None, *, today: dt.date | None = None) -> RemindResult:
        """Write an e-mail draft (.eml) into ``outbox/mail/<period>/`` for each partner to chase for ``period``
        (by default the period the master was built for, else the one partners report on now): nothing is sent."""
        from nc_excel.report.read import ReportError
        from nc_excel.report.remind import write_reminders

        setup = self.setup()
        today = today or dt.date.today()
        if period is None and self.built_period() is None:
            period = templates_period(setup, today)
        period = self._reported_on(setup, period)
        try:
            return write_reminders(self.root, setup, period, Register(self.root), today=today)
        except ReportError as exc:
            raise ProjectError(str(exc)) from exc
