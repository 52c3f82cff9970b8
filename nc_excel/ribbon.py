"""The Northern Connections tab in Excel: one handler per ribbon button.

Each button of the add-in calls ``NCRibbon.OnAction``, which runs
``RunPython "import nc_excel.ribbon; nc_excel.ribbon.dispatch('<button id>')"``.
``dispatch`` takes the calling workbook, runs the button's handler and turns
every problem into a message box: a coordinator pressing a button never sees a
Python traceback. An unexpected error is written to a log file, and the message
box says where it is.

Each handler calls the same ``Workspace`` action as the matching ``nc-excel``
command, writes a status line into the master's Settings sheet (the cell named
``nc_status``) and shows a message with what was done and where the files are.

This is the only module that imports xlwings (DESIGN.md). The handlers use only
what both xlwings engines offer: the desktop engine (Excel on Windows or macOS,
through RunPython) and the remote one (``xw.Book(json=...)``), on which the tests
run them on Linux.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import xlwings as xw

from nc_excel.addin import AddinError
from nc_excel.addin.ribbon_xml import labels
from nc_excel.excel.schema import HEADER_ROW
from nc_excel.excel.text import shown_name
from nc_excel.setup.models import ProjectSetup, default_period, templates_period
from nc_excel.setup.sheets import SETTINGS_SHEET, SETUP_SHEETS
from nc_excel.workspace import (
    DASHBOARD,
    MASTER,
    NcError,
    ProjectError,
    SetupInvalid,
    Workspace,
)

TITLE = "nc-excel"
PROJECT_FOLDER = "nc_project_folder"
STATUS = "nc_status"
LOG_NAME = "nc-excel-ribbon.log"
PERIODS_SHEET = next(s.sheet for s in SETUP_SHEETS if s.attr == "periods")
LOCK_WAIT_SECONDS = 5.0
"""How long Build master waits for Excel to remove ~$master.xlsx after closing the master."""
STARTFILE = "startfile"
"""First item of ``folder_opener``'s answer on Windows, where ``os.startfile`` opens the folder."""

Handler = Callable[[xw.Book], None]


class RibbonError(Exception):
    """A problem the coordinator can fix in Excel; the message says what and how."""


# ---------------------------------------------------------------- the project behind a workbook


@dataclass
class Project:
    """The project a button works on, and the workbooks of it that are open in Excel."""

    ws: Workspace
    app: xw.App
    master_book: xw.Book | None
    """The master open in Excel whose Settings sheet was read (None when none is open)."""
    source: str
    """How the project folder was found, in words for the Settings message."""

    def open_master(self) -> xw.Book | None:
        """The workbook open in Excel that is the project's master.xlsx file itself (desktop Excel only)."""
        if self.master_book is not None and _same_file(book_path(self.master_book), self.ws.master):
            return self.master_book
        return next((b for b in _books(self.app) if _same_file(book_path(b), self.ws.master)), None)


def book_path(book: xw.Book) -> Path | None:
    """The workbook's file on disk; None for a book never saved, a cloud URL, or a book of the remote engine."""
    try:
        fullname = book.fullname
    except Exception:  # noqa: BLE001 - a closed or half-open workbook has no name to give
        return None
    return Path(fullname) if fullname and os.path.isabs(fullname) else None


def _same_file(a: Path | None, b: Path) -> bool:
    return a is not None and os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _books(app: xw.App) -> list[xw.Book]:
    try:
        return list(app.books)
    except Exception:  # noqa: BLE001 - listing is a convenience; the calling book is enough
        return []


def _has_name(book: xw.Book, name: str) -> bool:
    try:
        return bool(book.names.contains(name))
    except Exception:  # noqa: BLE001 - a workbook without names (or a closed one) is not a master
        return False


def _cell(book: xw.Book, name: str) -> xw.Range:
    return book.names[name].refers_to_range


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def find_master_book(book: xw.Book) -> xw.Book | None:
    """The master workbook (it has a Settings sheet with ``nc_project_folder``): the calling book, or the one open beside it."""
    if _has_name(book, PROJECT_FOLDER):
        return book
    masters = [b for b in _books(book.app) if _has_name(b, PROJECT_FOLDER)]
    if len(masters) > 1:
        names = ", ".join(b.name for b in masters)
        raise RibbonError(f"Several master workbooks are open ({names}). Press the button in the master of the project you mean.")
    return masters[0] if masters else None


def project_above(path: Path, levels: int = 3) -> Path | None:
    """The nearest folder holding master.xlsx: the workbook's own folder or up to ``levels`` above it (outbox/1/, feedback/1/, ...)."""
    for folder in [path.parent, *path.parent.parents][: levels + 1]:
        if (folder / MASTER).is_file():
            return folder
    return None


def resolve_project(book: xw.Book) -> Project:
    """Find the project folder for a button pressed in ``book``.

    1. The master open in Excel (the calling book, or the only master open
       beside it): the folder named in its Settings sheet (``nc_project_folder``),
       or, when that cell is empty, the folder the master lies in.
    2. No master open: the folder of the calling book, or one up to three levels
       above it, that holds master.xlsx (a template in outbox/1/, a feedback workbook).
    """
    master_book = find_master_book(book)
    if master_book is not None:
        here = book_path(master_book)
        text = _text(_cell(master_book, PROJECT_FOLDER).value)
        where = f"the Settings sheet of {master_book.name} (Project folder)"
        if text:
            folder = Path(os.path.expandvars(os.path.expanduser(text)))
            if not folder.is_absolute():
                if here is None:
                    raise RibbonError(f"The project folder on {where} is {text!r}, which is not a full path. Write the full path of the project folder there.")
                folder = here.parent / folder
            source = f"named on {where}"
        elif here is not None:
            folder, source = here.parent, f"the folder of {master_book.name} (Project folder on its Settings sheet is empty)"
        else:
            raise RibbonError(
                f"{master_book.name} has not been saved in a folder, and Project folder on its Settings sheet is empty. "
                "Save the master in the project folder, or write the project folder into the Settings sheet."
            )
    else:
        here = book_path(book)
        found = project_above(here) if here is not None else None
        if found is None:
            raise RibbonError(
                f"No project master is open, and {book.name} does not lie in a project folder. "
                f"Open {MASTER} of your project and press the button there."
            )
        folder, source, where = found, f"the folder holding {MASTER}, found from {book.name}", f"the folder of {book.name}"
    if not folder.exists():
        raise RibbonError(
            f"The project folder {folder} does not exist (from {where}). "
            f"Correct the path on the Settings sheet, or leave it empty when {MASTER} lies in the project folder."
        )
    if not folder.is_dir():
        raise RibbonError(f"The project folder {folder} is a file, not a folder (from {where}). Correct the path on the Settings sheet.")
    if not (folder / MASTER).is_file():
        raise RibbonError(f"{folder} holds no {MASTER}, so it is not a project folder (from {where}). Correct the path on the Settings sheet.")
    return Project(ws=Workspace.open(folder), app=book.app, master_book=master_book, source=source)


# ---------------------------------------------------------------- the reporting period


def selected_period(book: xw.Book, setup: ProjectSetup) -> int | None:
    """The period whose row is selected on the Periods sheet, when that sheet is the active one: the coordinator's choice."""
    try:
        sheet = book.sheets.active
        if sheet.name != PERIODS_SHEET:
            return None
        selection = book.selection
        if selection is None or selection.row <= HEADER_ROW + 1:
            return None
        value = sheet.range((selection.row, 1)).value
    except Exception:  # noqa: BLE001 - no usable selection means no choice was made
        return None
    try:
        number = int(float(_text(value)))
    except ValueError:
        return None
    return number if number in [p.number for p in setup.periods] else None


def dashboard_period(project: Project) -> int | None:
    """The period the master was last built for: its Dashboard as the open master shows it, else as saved."""
    grid = None
    if project.master_book is not None:
        try:
            grid = project.master_book.sheets[DASHBOARD].used_range.value
        except Exception:  # noqa: BLE001 - a master not built yet has no Dashboard
            grid = None
    return project.ws.built_period(grid)


def period_to_report(book: xw.Book, project: Project, setup: ProjectSetup, otherwise: Callable[[ProjectSetup, dt.date], int]) -> tuple[int, bool]:
    """The period a button working from the master acts on, and whether the coordinator chose it.

    The row selected on the Periods sheet wins; else the period the master was last
    built for; else ``otherwise`` for today (before the first build).
    """
    chosen = selected_period(book, setup)
    if chosen is not None:
        return chosen, True
    return dashboard_period(project) or otherwise(setup, dt.date.today()), False


def _period_text(setup: ProjectSetup, number: int) -> str:
    p = setup.period(number)
    return f"period {p.number} ({p.start:%d %b %Y} to {p.end:%d %b %Y}; partner deadline {p.partner_deadline:%d %b %Y})"


# ---------------------------------------------------------------- reporting back in Excel


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def write_status(book: xw.Book | None, line: str) -> bool:
    """Write the status line into the master's Settings sheet (``nc_status``); False when no master is open."""
    if book is None or not _has_name(book, STATUS):
        return False
    _cell(book, STATUS).value = line
    return True


def alert(app: xw.App, message: str, *, critical: bool = False) -> None:
    """A message box: ``App.alert`` is Excel's MsgBox on the desktop and an ``alert`` action on the remote engine."""
    app.alert(message, title=TITLE, buttons="ok", mode="critical" if critical else "info")


def _done(project: Project, what: str, where: Path | None, details: str = "", status_book: xw.Book | None = None) -> None:
    """Tell the coordinator what a button did: a status line on the Settings sheet and a message box."""
    place = f" Files: {where}" if where is not None else ""
    write_status(status_book if status_book is not None else project.master_book, f"{_now():%Y-%m-%d %H:%M} {what}.{place}")
    message = f"{what}." + (f"\n\nFiles: {where}" if where is not None else "") + (f"\n\n{details}" if details else "")
    alert(project.app, message)


def _relative(root: Path, paths: Iterable[Path]) -> list[str]:
    out = []
    for p in paths:
        try:
            out.append(str(Path(p).relative_to(root)))
        except ValueError:
            out.append(str(p))
    return out


# ---------------------------------------------------------------- the handlers


def on_templates(book: xw.Book) -> None:
    """Generate templates: one partner workbook per partner for the current period (``nc-excel templates``)."""
    project = resolve_project(book)
    setup = project.ws.setup()
    chosen = selected_period(book, setup)
    period = chosen if chosen is not None else templates_period(setup, dt.date.today())
    paths = project.ws.generate_templates(period)
    how = "the period selected on the Periods sheet" if chosen is not None else "the period partners report on now"
    _done(
        project, f"Generated {len(paths)} partner workbook(s) for {_period_text(setup, period)}", project.ws.outbox(period),
        f"The period is {how}. For another period, select its row on the Periods sheet and press Generate templates again.\n"
        "Send each partner its own workbook.",
    )


def on_collect(book: xw.Book) -> None:
    """Import returns: read, check and archive every new file in the inbox (``nc-excel collect``)."""
    project = resolve_project(book)
    ws = project.ws
    result = ws.collect()
    entries = [c.entry for c in result.collected]
    accepted = [e for e in entries if e.accepted]
    warned = [e for e in accepted if e.status == "accepted with warnings"]
    rejected = [c for c in result.collected if c.entry.status == "rejected"]
    duplicates = [e for e in entries if e.status == "duplicate"]
    strangers = [c for c in result.collected if c.entry.status == "not a return"]
    feedback = sorted({e.feedback for e in entries if e.feedback})
    lines = [
        f"Accepted: {len(accepted)} ({len(warned)} with warnings)",
        f"Rejected: {len(rejected)}" + (f" ({', '.join(c.path.name for c in rejected[:8])}{', ...' if len(rejected) > 8 else ''})" if rejected else ""),
        f"Already collected (duplicates): {len(duplicates)}",
        f"Not a return of this project: {len(strangers)}" + (f" ({', '.join(c.path.name for c in strangers[:8])})" if strangers else ""),
        f"Feedback workbooks written: {len(feedback)}" + (f" in {', '.join(sorted({str(Path(f).parent) for f in feedback}))}" if feedback else ""),
        f"Files collected in an earlier run and skipped: {result.skipped}",
    ]
    if result.replacing:
        lines.append(f"Replacing an earlier accepted return: {len(result.replacing)} ({'; '.join(f'{shown_name(c.path.name)} replaces {c.replaced.file}' for c in result.replacing[:8] if c.replaced)}{'; ...' if len(result.replacing) > 8 else ''})")
    if result.late:
        lines.append(f"Received after the partner deadline: {len(result.late)} ({', '.join(f'{c.entry.partner} (period {c.entry.period})' for c in result.late[:8])}{', ...' if len(result.late) > 8 else ''})")
    lines += result.register_problems
    if result.ignored:
        lines.append(f"Ignored in the inbox (not read): {len(result.ignored)} ({'; '.join(f'{shown_name(g.path.name)}: {g.reason}' for g in result.ignored[:8])}{'; ...' if len(result.ignored) > 8 else ''})")
    if rejected:
        lines.append("Send each partner with a rejected return its feedback workbook; it says what to correct, sheet and cell.")
    if not result.collected:
        what = f"Import returns: no new files in {ws.inbox}"
    else:
        what = f"Imported {len(result.collected)} file(s): {len(accepted)} accepted, {len(rejected)} rejected, {len(feedback)} feedback workbook(s) written"
    _done(project, what, ws.feedback() if feedback else ws.inbox, "\n".join(lines))


def wait_until_closed(ws: Workspace, seconds: float | None = None) -> None:
    """Excel removes its lock file (~$master.xlsx) when it closes a workbook; give it a moment (LOCK_WAIT_SECONDS)."""
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if seconds is None else seconds)
    while ws.master_is_open() and time.monotonic() < deadline:
        time.sleep(0.2)


def on_build(book: xw.Book) -> None:
    """Build master (``nc-excel build``): save and close the open master, rebuild it, open it again.

    A failed rebuild leaves master.xlsx as it was saved (the build writes to a
    temporary file and renames it into place), and that master is opened again.
    """
    project = resolve_project(book)
    ws, app = project.ws, project.app
    open_master = project.open_master()
    if open_master is not None:
        open_master.save()  # no edit is lost: the rebuild reads the decisions from the saved file
        open_master.close()
        wait_until_closed(ws)
    try:
        result = ws.build()
    except Exception as exc:
        if open_master is not None:
            app.books.open(str(ws.master))  # the old master, as saved, back in front of the coordinator
        if isinstance(exc, ProjectError) and open_master is not None and ws.master_is_open():
            raise RibbonError(
                f"{exc}\n\n{MASTER} was closed in this Excel, so it is open somewhere else (another Excel window, LibreOffice "
                "or a colleague). If nobody has it open, the lock file is left over from a crash: delete it and press Build master again."
            ) from None
        raise
    reopened = app.books.open(str(ws.master)) if open_master is not None else None
    flags = "\n".join(f"  {f}" for f in result.region_flags)
    details = "\n".join([
        f"Period {result.period}, as of {result.as_of:%d %b %Y}.",
        f"Returns merged: {result.returns_merged}; partners reported for the period: {result.partners_reported}.",
        f"Living labs: {result.candidates} candidate rows, {result.places} places, {sum(result.shortlisted.values())} shortlisted over {len(result.shortlisted)} regions.",
        *([f"Regions flagged:\n{flags}"] if flags else []),
        f"Overdue deliverables: {', '.join(result.overdue) if result.overdue else 'none'}.",
        *([f"{result.orphaned} decision(s) kept on the Orphaned decisions sheet."] if result.orphaned else []),
        *([f"{len(result.left_out)} archived return(s) could not be read and were left out:", *(f"  {x}" for x in result.left_out)] if result.left_out else []),
        *result.register_problems,
        result.status_line,
        f"The previous master is backed up as {result.backup}.",
    ])
    if reopened is None and project.master_book is not None:
        details += f"\n\nClose {project.master_book.name} without saving and open {ws.master} to see the rebuilt sheets."
    _done(project, f"Rebuilt the master for period {result.period}", ws.master, details, status_book=reopened)
    if reopened is not None:
        reopened.save()  # keep the status line in the file


def on_summary(book: xw.Book) -> None:
    """Board summary: the protected summary workbook for the board (``Workspace.summary``)."""
    project = resolve_project(book)
    ws = project.ws
    setup = ws.setup()
    period, chosen = period_to_report(book, project, setup, default_period)
    paths = ws.summary(period).paths
    folder = paths[0].parent
    _done(
        project, f"Wrote the board summary for {_period_text(setup, period)}", folder,
        "\n".join(["Written:", *(f"  {p}" for p in _relative(ws.root, paths))]) + "\n\nThe period is "
        + ("the one selected on the Periods sheet." if chosen else "the one the master was last built for (its Dashboard)."),
    )


def on_report(book: xw.Book) -> None:
    """Joint report: the joint progress report from the master (``Workspace.report``), and its folder shown."""
    project = resolve_project(book)
    ws = project.ws
    setup = ws.setup()
    period, _ = period_to_report(book, project, setup, default_period)
    result = ws.report(period)
    shown = open_in_file_browser(result.workbook.parent) is not None
    lines = ["Written:", *(f"  {p}" for p in _relative(ws.root, result.paths)),
             "", f"Write your Project summary texts into the yellow rows of the sheet Progress texts; pressing {labels()['nc_report']} again keeps them."]
    if result.not_ready:
        lines.append(f"Not ready for the claim: {', '.join(result.not_ready)} (see the sheet Not ready).")
    if not shown:
        lines.append("No file browser could be started: open the folder yourself.")
    _done(project, f"Wrote the joint progress report for {_period_text(setup, period)}", result.workbook.parent, "\n".join(lines))


def on_remind(book: xw.Book) -> None:
    """Reminders: an e-mail draft per partner to chase (``Workspace.remind``), and the drafts' folder shown. Nothing is sent."""
    project = resolve_project(book)
    ws = project.ws
    setup = ws.setup()
    period, _ = period_to_report(book, project, setup, templates_period)
    result = ws.remind(period)
    if not result.drafts:
        _done(project, f"Nobody to remind for period {result.period}: every partner's latest return is accepted", None)
        return
    shown = open_in_file_browser(result.folder) is not None
    lines = [f"{d.partner} ({d.name}): {d.reason}; to {d.to or 'nobody: no e-mail on the Partners sheet'}; "
             f"attached {d.attachment.name if d.attachment else 'nothing: ' + (d.missing_attachment or '')}" for d in result.drafts]
    lines += ["", "Nothing was sent: open each draft in your mail program, check it and send it."]
    if not shown:
        lines.append("No file browser could be started: open the folder yourself.")
    _done(project, f"Wrote {len(result.drafts)} reminder draft(s) for {_period_text(setup, result.period)}", result.folder, "\n".join(lines))


def folder_opener(folder: Path, platform: str | None = None, which: Callable[[str], str | None] = shutil.which) -> list[str] | None:
    """How the OS file browser is asked to show ``folder``.

    Windows: ``["startfile", folder]`` (``os.startfile``); macOS: ``["open", folder]``;
    elsewhere ``[xdg-open, folder]`` when xdg-open is on the PATH, else None.
    """
    platform = platform or sys.platform
    if platform == "win32":
        return [STARTFILE, str(folder)]
    if platform == "darwin":
        return ["open", str(folder)]
    exe = which("xdg-open")
    return [exe, str(folder)] if exe else None


def open_in_file_browser(folder: Path) -> list[str] | None:
    """Show the folder in Explorer, Finder or the desktop's file manager; returns what was run (None: nothing could)."""
    command = folder_opener(folder)
    if command is None:
        return None
    if command[0] == STARTFILE:
        os.startfile(folder)  # type: ignore[attr-defined]  # Windows only
    else:
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return command


def on_open_folder(book: xw.Book) -> None:
    """Open project folder: in Explorer, Finder, or (Linux) what xdg-open starts."""
    project = resolve_project(book)
    root = project.ws.root
    if open_in_file_browser(root) is None:
        _done(project, "No file browser could be started (xdg-open is not installed)", root, "Open the folder yourself.")
        return
    _done(project, "Opened the project folder", root, "outbox: templates to send; inbox: returns as received; archive: accepted returns; "
          "feedback: a workbook per return; board: board summaries; report: joint progress reports; outbox/mail: reminder drafts; "
          "backups: the master before each rebuild.")


def _interpreter_settings() -> str:
    from nc_excel.addin.install import config_file

    try:
        return str(config_file(sys.platform, Path.home()))
    except ValueError:
        return "(Excel runs on Windows and macOS only)"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def on_settings(book: xw.Book) -> None:
    """Settings: bring the master's Settings sheet forward and say which project folder and Python the add-in uses."""
    project = resolve_project(book)
    master = project.master_book
    if master is None and book_path(book) is not None:
        master = project.app.books.open(str(project.ws.master))  # desktop Excel: open the master found on disk
    if master is not None:
        master.activate()
        master.sheets[SETTINGS_SHEET].activate()
        _cell(master, PROJECT_FOLDER).select()
    details = "\n".join([
        f"Project folder: {project.ws.root}",
        f"  ({project.source})",
        f"Master: {project.ws.master}",
        f"Python: {sys.executable}",
        f"nc-excel {_version('nc-excel')}, xlwings {_version('xlwings')}",
        "",
        f"To work on another project folder, write its full path into Project folder on the {SETTINGS_SHEET} sheet "
        f"(leave it empty when {MASTER} lies in the project folder).",
        f"To use another Python, run `nc-excel addin install` with that Python; it records the interpreter in {_interpreter_settings()}.",
    ])
    _done(project, "Showed the settings", None, details, status_book=master)


HELP = {
    "nc_templates": "writes one workbook per partner for the period partners report on now (or the period whose row you select on "
                    "the Periods sheet) into outbox/<period>/. Send each partner its own file.",
    "nc_collect": "reads every new file in inbox/, checks it, archives the accepted returns in archive/ and writes a feedback "
                  "workbook per return into feedback/<period>/.",
    "nc_build": "saves and closes the master, rebuilds its sheets (returns, issues, finance, living labs, schedule) from the "
                "setup sheets, the archive and your decisions, backs the old one up in backups/ and opens the new one.",
    "nc_summary": "writes the board's summary workbook (and a PDF when LibreOffice is installed) into board/, for the period "
                  "of the master's Dashboard.",
    "nc_report": "writes the joint progress report for the programme into report/, for the period of the master's Dashboard; your "
                 "Project summary texts in it are kept when you press it again.",
    "nc_remind": "writes an e-mail draft (.eml) to each partner whose report is missing, late or rejected into outbox/mail/<period>/, "
                 "with the template or the feedback workbook attached. Nothing is sent.",
    "nc_open_folder": "opens the project folder in Explorer or Finder.",
    "nc_settings": "shows the Settings sheet: which project folder and Python the add-in uses, and how to change them.",
    "nc_help": "this message.",
}


def readme_location() -> str:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    return str(readme) if readme.is_file() else "the README of nc-excel (its repository), section 'The Excel ribbon'"


def on_help(book: xw.Book) -> None:
    """Help: what each button does and where the README is. Needs no project."""
    names = labels()
    text = "\n".join(f"{names[i]}: {HELP[i]}" for i in names)
    alert(book.app, f"The reporting tab\n\n{text}\n\nEvery button writes what it did into Last action on the "
                    f"master's {SETTINGS_SHEET} sheet.\n\nMore: {readme_location()}")


HANDLERS: dict[str, Handler] = {
    "nc_templates": on_templates,
    "nc_collect": on_collect,
    "nc_build": on_build,
    "nc_summary": on_summary,
    "nc_report": on_report,
    "nc_remind": on_remind,
    "nc_open_folder": on_open_folder,
    "nc_settings": on_settings,
    "nc_help": on_help,
}
"""Button id (customUI14.xml) -> handler; tests check that both sides name the same buttons."""


# ---------------------------------------------------------------- dispatch


def _expected_message(exc: BaseException) -> str | None:
    """The message for an expected problem, or None for an unexpected one."""
    if isinstance(exc, SetupInvalid):
        found = [i for i in exc.issues if i.severity == "error"]
        lines = [f"{i.sheet or ''}{'!' + i.cell if i.cell else ''}: {i.message}" + (f" ({i.hint})" if i.hint else "") for i in found[:12]]
        more = [f"... and {len(found) - 12} more."] if len(found) > 12 else []
        return "\n".join([str(exc), "", *lines, *more])
    if isinstance(exc, (NcError, AddinError, RibbonError)):
        return str(exc)
    if isinstance(exc, PermissionError):
        return f"{exc.filename or 'A file'}: permission denied. If it is open in Excel or another program, close it and press the button again."
    return None


def log_folder(book: xw.Book) -> Path:
    """Where the log goes: the project folder when it can be found, else the user's temp folder."""
    try:
        return resolve_project(book).ws.root
    except Exception:  # noqa: BLE001 - any failure here falls back to the temp folder
        return Path(tempfile.gettempdir())


def write_log(folder: Path, control_id: str, book_name: str, exc: BaseException) -> Path:
    """Append the traceback of an unexpected error to nc-excel-ribbon.log; returns the log's path."""
    text = "".join(traceback.format_exception(exc))
    entry = (f"=== {_now():%Y-%m-%d %H:%M:%S} button {control_id} in {book_name}; nc-excel {_version('nc-excel')}, "
             f"xlwings {_version('xlwings')}, Python {sys.version.split()[0]} ({sys.executable})\n{text}\n")
    for candidate in (folder / LOG_NAME, Path(tempfile.gettempdir()) / LOG_NAME):
        try:
            with candidate.open("a", encoding="utf-8") as fh:
                fh.write(entry)
            return candidate
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / LOG_NAME


def dispatch(control_id: str, book: xw.Book | None = None) -> None:
    """Run the handler of a ribbon button; the entry point ``RunPython`` calls.

    ``book`` is the workbook the button was pressed in: ``xw.Book.caller()``
    by default, an ``xw.Book(json=...)`` in tests. No exception leaves this
    function once the workbook is known: problems become a message box.
    """
    book = book if book is not None else xw.Book.caller()
    app = book.app
    book_name = book.name
    handler = HANDLERS.get(control_id)
    label = labels().get(control_id, control_id)
    if handler is None:
        alert(app, f"The button {control_id!r} has no action in this nc-excel. Update nc-excel and the add-in "
                   f"(`nc-excel addin build` and `nc-excel addin install`).", critical=True)
        return
    try:
        handler(book)
    except Exception as exc:  # noqa: BLE001 - the coordinator gets a message box, never a traceback window
        message = _expected_message(exc)
        if message is not None:
            alert(app, f"{label}: {message}", critical=True)
            return
        log = write_log(log_folder(book), control_id, book_name, exc)
        alert(app, f"{label} stopped on an unexpected error: {type(exc).__name__}: {exc}\n\n"
                   f"The details are in {log}. Please send that file to whoever looks after nc-excel for your project; "
                   "files written before the error are kept.", critical=True)
