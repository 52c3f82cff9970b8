"""The ribbon: every button runs the same workspace action as its nc-excel command, reports in Excel, and never shows a traceback.

The handlers run against xlwings' own Book built from a JSON payload (the remote
engine, ``xw.Book(json=...)``), the way an xlwings client sends a workbook: the
payload is made from the real master.xlsx on disk. What a handler does in Excel
is read from ``book.json()`` (the actions: ``setValues``, ``alert``, ...); what
it does on disk is compared with what the CLI does on a copy of the same project.

The remote engine is xlwings PRO, licensed PolyForm Noncommercial 1.0.0 to
noncommercial organisations such as an Interreg partnership; it needs
``XLWINGS_LICENSE_KEY=noncommercial``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import xlwings as xw
from conftest import copy_project
from openpyxl.utils.cell import coordinate_to_tuple
from python_calamine import CalamineWorkbook
from test_collect import make_return
from typer.testing import CliRunner

import nc_excel.workspace
from nc_excel import ribbon
from nc_excel.addin.ribbon_xml import button_ids, labels
from nc_excel.cli import app as cli
from nc_excel.intake.archive import Register
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

FROZEN = dt.datetime(2017, 10, 20, 10, 30)
REPORTING = 19  # partners that returned period 1 (all but SCE and FKC)


# ---------------------------------------------------------------- the remote engine and the payload


@pytest.fixture(autouse=True)
def remote_engine(monkeypatch: pytest.MonkeyPatch):
    """xlwings' remote engine, licensed noncommercial; the books a test opened are closed after it."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    if "remote" not in [e.name for e in xw.engines]:
        # xlwings registers the engine at import when a key is set (xlwings/__init__.py); the key
        # is set only now, so register it the same way.
        from xlwings.pro import _xlremote

        xw.engines.add(xw.main.Engine(impl=_xlremote.engine))
    remote_app = xw.engines["remote"].apps.active
    before = list(remote_app.books)
    yield
    for book in list(remote_app.books):
        if book not in before:
            book.close()


def _json_cell(value: object) -> object:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()  # the client sends dates as ISO text
    return value


def _defined_names(path: Path) -> dict[str, tuple[str, str]]:
    """Workbook-level defined names -> (sheet, address), read from xl/workbook.xml."""
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    out = {}
    for el in root.iter():
        if el.tag.endswith("definedName") and el.get("localSheetId") is None and "!" in (el.text or ""):
            sheet, _, address = el.text.rpartition("!")
            out[el.get("name")] = (sheet.strip("'").replace("''", "'"), address.replace("$", ""))
    return out


def payload(path: Path, *, project_folder: str | None = None, name: str | None = None, active: str | None = None, selection: str = "A1") -> dict:
    """What an xlwings 0.37.8 client sends for the workbook at ``path`` (see xlwings/js/xlwings.ts).

    ``project_folder`` goes into the Settings sheet's Project folder cell: a remote
    book has no path on disk, so the Settings sheet names the project folder.
    """
    book = CalamineWorkbook.from_path(str(path))
    try:
        order = list(book.sheet_names)
        grids = {s: [[_json_cell(v) for v in row] for row in book.get_sheet_by_name(s).to_python(skip_empty_area=False)] or [[]] for s in order}
    finally:
        book.close()
    names = []
    for n, (sheet, address) in _defined_names(path).items():
        names.append({"name": n, "sheet_index": order.index(sheet), "address": address,
                      "scope_sheet_name": None, "scope_sheet_index": None, "book_scope": True})
        if n == ribbon.PROJECT_FOLDER and project_folder is not None:
            r, c = coordinate_to_tuple(address)
            grids[sheet][r - 1][c - 1] = project_folder
    data = {
        "client": "Microsoft Office Scripts",
        "version": xw.__version__,
        "book": {"name": name or path.name, "active_sheet_index": order.index(active) if active else 0, "selection": selection},
        "names": names,
        "sheets": [{"name": s, "values": grids[s], "pictures": [], "tables": []} for s in order],
    }
    return json.loads(json.dumps(data))  # exactly what survives the trip as JSON


def master_book(ws: Workspace, **kwargs) -> xw.Book:
    kwargs.setdefault("project_folder", str(ws.root))
    return xw.Book(json=payload(ws.master, **kwargs))


def actions(book: xw.Book, func: str) -> list[dict]:
    return [a for a in book.json()["actions"] if a["func"] == func]


def the_alert(book: xw.Book) -> tuple[str, str]:
    """(message, mode) of the one message box a button showed."""
    alerts = actions(book, "alert")
    assert len(alerts) == 1, book.json()["actions"]
    prompt, title, buttons, mode, _callback = alerts[0]["args"]
    assert title == ribbon.TITLE and buttons == "ok"
    return prompt, mode


def status_written(book: xw.Book) -> str:
    """The status line written into Settings!B5 (nc_status)."""
    settings = [s.name for s in book.sheets].index("Settings")
    writes = [a for a in actions(book, "setValues") if a["sheet_position"] == settings and (a["start_row"], a["start_column"]) == (4, 1)]
    assert len(writes) == 1, book.json()["actions"]
    return writes[0]["values"][0][0]


# ---------------------------------------------------------------- projects


@pytest.fixture(scope="module")
def returned(tmp_path_factory: pytest.TempPathFactory, demo_project: Workspace, demo_setup: ProjectSetup) -> Workspace:
    """Period-1 templates sent; 19 partners' returns lie in the inbox, not yet collected."""
    ws = copy_project(demo_project, tmp_path_factory.mktemp("ribbon"))  # the period-1 templates sent
    for p in demo_setup.partners[:REPORTING]:
        make_return(ws, demo_setup, p.code)
    return ws


@pytest.fixture(scope="module")
def built(period_1_built: Workspace) -> Workspace:
    """The same returns collected on 14 October 2017 and the master built once, as of the 15th."""
    return period_1_built


def copy_of(ws: Workspace, to: Path) -> Workspace:
    return Workspace(Path(shutil.copytree(ws.root, to)))


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def written(before: dict[str, str], root: Path) -> set[str]:
    """Files new or changed since ``before``; time stamps in names (backups/master_<stamp>.xlsx) made comparable."""
    after = snapshot(root)
    return {re.sub(r"\d{8}T\d{6,}", "<stamp>", rel) for rel, digest in after.items() if before.get(rel) != digest}


def run_cli(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code in (0, 1), result.output


def grids(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        return {s: book.get_sheet_by_name(s).to_python(skip_empty_area=False) for s in book.sheet_names}
    finally:
        book.close()


@dataclass
class Both:
    """One project copy worked by the CLI, one by a ribbon button, and the files each wrote."""

    cli: Workspace
    xl: Workspace
    cli_files: set[str]
    xl_files: set[str]
    book: xw.Book


def run_both(ws: Workspace, tmp_path: Path, command: list[str], control_id: str, **book_kwargs) -> Both:
    cli_ws, xl_ws = copy_of(ws, tmp_path / "cli"), copy_of(ws, tmp_path / "xl")
    before_cli, before_xl = snapshot(cli_ws.root), snapshot(xl_ws.root)
    run_cli(*command, "--project", str(cli_ws.root))
    book = master_book(xl_ws, **book_kwargs)
    ribbon.dispatch(control_id, book)
    return Both(cli_ws, xl_ws, written(before_cli, cli_ws.root), written(before_xl, xl_ws.root), book)


@pytest.fixture()
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """The workspace's clock stopped, so the CLI and a handler stamp their files with the same 'now'."""

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return FROZEN

    class Clock:
        datetime = Frozen
        date = dt.date
        time = dt.time
        timedelta = dt.timedelta

    monkeypatch.setattr(nc_excel.workspace, "dt", Clock)
    return FROZEN


# ---------------------------------------------------------------- buttons and handlers


def test_every_button_has_a_handler_and_every_handler_a_button() -> None:
    assert set(ribbon.HANDLERS) == set(button_ids())
    assert set(ribbon.HELP) == set(button_ids())
    assert all(callable(h) for h in ribbon.HANDLERS.values())


def test_only_ribbon_imports_xlwings() -> None:
    package = Path(ribbon.__file__).parent
    importers = {str(p.relative_to(package)) for p in package.rglob("*.py") if re.search(r"^\s*(import xlwings|from xlwings)", p.read_text(encoding="utf-8"), re.M)}
    assert importers == {"ribbon.py"}


# ---------------------------------------------------------------- each button = its CLI command


def test_generate_templates_writes_what_the_cli_writes(built: Workspace, tmp_path: Path, frozen_clock: dt.datetime) -> None:
    # The coordinator chooses period 2 by selecting its row on the Periods sheet (row 6: header in row 4).
    run = run_both(built, tmp_path, ["templates", "--period", "2"], "nc_templates", active="Periods", selection="C6")
    outbox = run.xl.outbox(2)
    assert run.xl_files == run.cli_files == {f"outbox/2/NC_P2_{p.code}.xlsx" for p in run.xl.setup().partners}
    for name in ("NC_P2_AAL.xlsx", "NC_P2_SCE.xlsx"):
        assert grids(outbox / name) == grids(run.cli.outbox(2) / name)
    message, mode = the_alert(run.book)
    assert mode == "info"
    assert "Generated 21 partner workbook(s) for period 2" in message and str(outbox) in message
    assert "selected on the Periods sheet" in message
    status = status_written(run.book)
    assert "period 2" in status and str(outbox) in status


def test_without_a_choice_templates_are_for_the_period_partners_report_on_now(demo_setup: ProjectSetup) -> None:
    rule = ribbon.templates_period
    assert rule(demo_setup, dt.date(2016, 9, 1)) == 1  # before the project: the first period
    assert rule(demo_setup, dt.date(2017, 10, 1)) == 1  # period 1 open, deadline 13 Oct 2017 ahead
    assert rule(demo_setup, dt.date(2017, 10, 20)) == 1  # deadline passed, period 2 not started: the last started
    assert rule(demo_setup, dt.date(2018, 5, 15)) == 2  # period 3 has started, but period 2 is due by 31 May
    assert rule(demo_setup, dt.date(2018, 6, 1)) == 3
    assert rule(demo_setup, dt.date(2030, 1, 1)) == 6  # after the project: the last period


def test_import_returns_writes_what_the_cli_writes(returned: Workspace, tmp_path: Path) -> None:
    run = run_both(returned, tmp_path, ["collect"], "nc_collect")
    assert run.xl_files == run.cli_files
    entries = Register(run.xl.root).entries
    feedback = {e.feedback for e in entries if e.feedback}
    assert len(entries) == REPORTING and all(e.accepted for e in entries) and feedback  # a return without issues gets no feedback
    latest = {str(Path(f).with_name(Path(f).name.split("_feedback_")[0] + "_feedback.xlsx")) for f in feedback}  # each partner's latest, by its plain name
    assert {f for f in run.xl_files if f.startswith("feedback/")} == feedback | latest
    assert len([f for f in run.xl_files if f.startswith("archive/1/")]) == REPORTING
    message, mode = the_alert(run.book)
    assert mode == "info"
    assert f"Imported {REPORTING} file(s): {REPORTING} accepted, 0 rejected, {len(feedback)} feedback workbook(s) written" in message
    assert str(run.xl.root / "feedback") in message
    assert status_written(run.book).endswith(f"Files: {run.xl.root / 'feedback'}")


def test_build_master_writes_what_the_cli_writes(built: Workspace, tmp_path: Path) -> None:
    run = run_both(built, tmp_path, ["build"], "nc_build")
    assert run.xl_files == run.cli_files == {"master.xlsx", "backups/master_<stamp>.xlsx"}
    for sheet in ("Progress", "Finance position", "Shortlist", "Settings", "Partners"):
        assert grids(run.xl.master)[sheet] == grids(run.cli.master)[sheet]
    message, mode = the_alert(run.book)
    assert mode == "info" and "Rebuilt the master for period" in message and str(run.xl.master) in message
    assert "backed up as" in message
    assert str(run.xl.master) in status_written(run.book)


def test_board_summary_writes_what_the_workspace_writes(built: Workspace, tmp_path: Path) -> None:
    ws_ws, xl_ws = copy_of(built, tmp_path / "ws"), copy_of(built, tmp_path / "xl")
    before_ws, before_xl = snapshot(ws_ws.root), snapshot(xl_ws.root)
    ws_ws.summary(1)  # the period of the master's Dashboard (built as of 15 Oct 2017)
    book = master_book(xl_ws)
    ribbon.dispatch("nc_summary", book)

    files = written(before_xl, xl_ws.root)
    assert files and files == written(before_ws, ws_ws.root)
    assert all(f.startswith("board/") for f in files)
    message, mode = the_alert(book)
    assert mode == "info" and "board summary for period 1" in message
    assert "board" in status_written(book)


def test_the_summary_period_is_the_one_the_master_was_built_for(built: Workspace) -> None:
    project = ribbon.resolve_project(master_book(built))
    assert ribbon.dashboard_period(project) == 1


@pytest.fixture()
def file_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An xdg-open that only writes down the folder it was asked to show; returns that note's path."""
    bin_dir, seen = tmp_path / "bin", tmp_path / "opened.txt"
    bin_dir.mkdir()
    (bin_dir / "xdg-open").write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{seen}"\n')
    (bin_dir / "xdg-open").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return seen


def shown_folder(seen: Path) -> str:
    for _ in range(50):
        if seen.exists() and seen.read_text():
            break
        time.sleep(0.1)
    return seen.read_text()


def test_joint_report_writes_what_the_cli_writes_and_shows_its_folder(built: Workspace, tmp_path: Path, file_browser: Path) -> None:
    run = run_both(built, tmp_path, ["report"], "nc_report")
    assert run.xl_files == run.cli_files == {"report/NC_progress_P1.xlsx"}
    for sheet in ("Report", "Progress texts", "Statement of expenditure", "Not ready"):
        assert grids(run.xl.reports / "NC_progress_P1.xlsx")[sheet] == grids(run.cli.reports / "NC_progress_P1.xlsx")[sheet]
    message, mode = the_alert(run.book)
    assert mode == "info" and "joint progress report for period 1" in message and "Not ready for the claim: " in message
    assert shown_folder(file_browser) == str(run.xl.reports)
    assert str(run.xl.reports) in status_written(run.book)


def test_reminders_write_what_the_cli_writes_and_show_their_folder(built: Workspace, tmp_path: Path, file_browser: Path) -> None:
    run = run_both(built, tmp_path, ["remind"], "nc_remind")
    chased = {p.code for p in run.xl.setup().partners[REPORTING:]}  # the two who sent nothing
    assert run.xl_files == run.cli_files == {f"outbox/mail/1/NC_P1_{code}_reminder.eml" for code in chased}
    for name in run.xl_files:
        assert (run.xl.root / name).read_bytes() == (run.cli.root / name).read_bytes()
    message, mode = the_alert(run.book)
    assert mode == "info" and f"Wrote {len(chased)} reminder draft(s) for period 1" in message and "Nothing was sent" in message
    assert shown_folder(file_browser) == str(run.xl.mail(1))


# ---------------------------------------------------------------- project buttons


def test_open_project_folder_runs_the_file_browser(built: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir, seen = tmp_path / "bin", tmp_path / "opened.txt"
    bin_dir.mkdir()
    (bin_dir / "xdg-open").write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{seen}"\n')
    (bin_dir / "xdg-open").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    book = master_book(built)
    ribbon.dispatch("nc_open_folder", book)

    for _ in range(50):
        if seen.exists() and seen.read_text():
            break
        time.sleep(0.1)
    assert seen.read_text() == str(built.root)
    message, mode = the_alert(book)
    assert mode == "info" and "Opened the project folder" in message and str(built.root) in message
    assert str(built.root) in status_written(book)


def test_open_project_folder_without_a_file_browser_names_the_folder(built: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no xdg-open
    book = master_book(built)
    ribbon.dispatch("nc_open_folder", book)
    message, _ = the_alert(book)
    assert "xdg-open" in message and str(built.root) in message


def test_the_file_browser_of_each_system(tmp_path: Path) -> None:
    assert ribbon.folder_opener(tmp_path, "win32") == ["startfile", str(tmp_path)]
    assert ribbon.folder_opener(tmp_path, "darwin") == ["open", str(tmp_path)]
    assert ribbon.folder_opener(tmp_path, "linux", which=lambda name: f"/usr/bin/{name}") == ["/usr/bin/xdg-open", str(tmp_path)]
    assert ribbon.folder_opener(tmp_path, "linux", which=lambda name: None) is None


def test_settings_brings_the_settings_sheet_forward(built: Workspace) -> None:
    book = master_book(built)
    ribbon.dispatch("nc_settings", book)
    settings = [s.name for s in book.sheets].index("Settings")
    assert actions(book, "activateSheet")[-1]["args"] == [settings]
    select = actions(book, "rangeSelect")[-1]
    assert (select["sheet_position"], select["start_row"], select["start_column"]) == (settings, 3, 1)  # B4, Project folder
    message, mode = the_alert(book)
    assert mode == "info" and f"Project folder: {built.root}" in message and sys.executable in message
    assert "named on the Settings sheet of master.xlsx" in message


def test_help_names_every_button_and_the_readme(built: Workspace) -> None:
    book = master_book(built)
    ribbon.dispatch("nc_help", book)
    message, mode = the_alert(book)
    assert mode == "info"
    for label in labels().values():
        assert f"{label}: " in message
    assert "README" in message


# ---------------------------------------------------------------- the project folder


def test_the_project_folder_is_found_above_a_workbook_in_it(built: Workspace) -> None:
    template = built.outbox(1) / "NC_P1_AAL.xlsx"
    assert ribbon.project_above(template) == built.root
    assert ribbon.project_above(built.master) == built.root
    assert ribbon.project_above(built.root.parent / "elsewhere.xlsx") is None


def test_a_workbook_outside_any_project_asks_for_the_master(built: Workspace) -> None:
    book = xw.Book(json=payload(built.outbox(1) / "NC_P1_AAL.xlsx"))  # a partner workbook: no Settings sheet, no path
    ribbon.dispatch("nc_collect", book)
    message, mode = the_alert(book)
    assert mode == "critical" and "No project master is open" in message and "Open master.xlsx" in message
    assert not actions(book, "setValues")


def test_the_master_open_beside_the_calling_book_is_used(built: Workspace, tmp_path: Path) -> None:
    ws = copy_of(built, tmp_path / "p")
    master = master_book(ws)
    other = xw.Book(json=payload(ws.outbox(1) / "NC_P1_AAL.xlsx"))
    project = ribbon.resolve_project(other)
    assert project.ws.root == ws.root and project.master_book == master


# ---------------------------------------------------------------- errors become message boxes


def test_a_project_folder_that_does_not_exist_is_a_clear_message(built: Workspace, tmp_path: Path) -> None:
    missing = tmp_path / "no such project"
    book = master_book(built, project_folder=str(missing))
    ribbon.dispatch("nc_build", book)
    message, mode = the_alert(book)
    assert mode == "critical"
    assert message.startswith("Build master: ") and f"The project folder {missing} does not exist" in message
    assert "Settings sheet" in message and "Traceback" not in message
    assert not actions(book, "setValues")


def test_a_locked_master_is_not_rebuilt(built: Workspace, tmp_path: Path) -> None:
    ws = copy_of(built, tmp_path / "p")
    (ws.root / "~$master.xlsx").write_bytes(b"owner")
    before = snapshot(ws.root)
    book = master_book(ws)
    ribbon.dispatch("nc_build", book)
    message, mode = the_alert(book)
    assert mode == "critical" and "is open in a spreadsheet application" in message and "Close it" in message
    assert snapshot(ws.root) == before, "nothing was changed"


def test_setup_errors_are_listed_with_their_cells(built: Workspace, tmp_path: Path) -> None:
    ws = copy_of(built, tmp_path / "p")
    wb = openpyxl.load_workbook(ws.master)
    wb["Periods"]["B6"] = "not a date"
    wb.save(ws.master)
    book = master_book(ws)
    ribbon.dispatch("nc_templates", book)
    message, mode = the_alert(book)
    assert mode == "critical" and "the setup sheets have" in message and "Periods!B6" in message


def test_an_unexpected_error_is_logged_in_the_project_folder(built: Workspace, tmp_path: Path) -> None:
    ws = copy_of(built, tmp_path / "p")
    register = ws.root / "archive" / "register.jsonl"
    register.chmod(0o644)
    register.write_text("this is not a register line\n", encoding="utf-8")
    book = master_book(ws)
    ribbon.dispatch("nc_collect", book)
    message, mode = the_alert(book)
    log = ws.root / ribbon.LOG_NAME
    assert mode == "critical" and "unexpected error" in message and str(log) in message
    text = log.read_text(encoding="utf-8")
    assert "button nc_collect in master.xlsx" in text and "Traceback (most recent call last)" in text


def test_an_unknown_button_says_to_update(built: Workspace) -> None:
    book = master_book(built)
    ribbon.dispatch("nc_something_new", book)
    message, mode = the_alert(book)
    assert mode == "critical" and "nc_something_new" in message and "addin install" in message


def test_the_calling_book_defaults_to_the_caller(built: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a book, dispatch asks xlwings for the caller (RunPython's workbook; here xlwings' mock caller)."""
    book = master_book(built)
    monkeypatch.setattr(xw.Book, "_mock_caller", book, raising=False)
    ribbon.dispatch("nc_help")
    message, _ = the_alert(book)
    assert message.startswith("The reporting tab")


# ---------------------------------------------------------------- Build master in desktop Excel


class DesktopExcel:
    """A stand-in for desktop Excel as xlwings shows it (App.books, Book.save/close, App.alert), keeping the files real.

    The remote engine cannot close a workbook and open it again from disk, which is
    what Build master does in desktop Excel. This stand-in does it with real files:
    opening a workbook leaves ``~$<name>`` beside it as Excel does, closing removes
    it, and saving writes the coordinator's unsaved edit into the file.
    """

    def __init__(self) -> None:
        self.books = _Books(self)
        self.events: list[tuple[str, str]] = []
        self.alerts: list[tuple[str, str]] = []

    def open(self, fullname: str, unsaved_edit=None) -> "DesktopBook":  # noqa: ANN001
        book = DesktopBook(self, Path(fullname), unsaved_edit)
        list.append(self.books, book)
        Path(fullname).with_name(f"~${Path(fullname).name}").write_bytes(b"owner")
        self.events.append(("open", Path(fullname).name))
        return book

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None, callback=None) -> str:  # noqa: ANN001
        self.alerts.append((prompt, mode))
        return "ok"


class _Books(list):
    """App.books: the open workbooks, and open(fullname)."""

    def __init__(self, app: DesktopExcel) -> None:
        super().__init__()
        self.app = app

    def open(self, fullname: str) -> "DesktopBook":
        return self.app.open(fullname)


class _Range:
    def __init__(self, book: "DesktopBook", name: str) -> None:
        self.book, self.name = book, name

    @property
    def value(self):  # noqa: ANN201
        return self.book.cells.get(self.name)

    @value.setter
    def value(self, v) -> None:  # noqa: ANN001
        self.book.cells[self.name] = v


class _Names:
    def __init__(self, book: "DesktopBook") -> None:
        self.book = book

    def contains(self, name: str) -> bool:
        return self.book.name == "master.xlsx" and name in (ribbon.PROJECT_FOLDER, ribbon.STATUS)

    def __getitem__(self, name: str):  # noqa: ANN204
        return type("Name", (), {"refers_to_range": _Range(self.book, name)})()


class DesktopBook:
    def __init__(self, app: DesktopExcel, path: Path, unsaved_edit) -> None:  # noqa: ANN001
        self.app, self.fullname, self.name = app, str(path), path.name
        self.unsaved_edit, self.cells, self.names = unsaved_edit, {ribbon.PROJECT_FOLDER: None}, _Names(self)

    def save(self) -> None:
        if self.unsaved_edit:
            self.unsaved_edit(Path(self.fullname))
            self.unsaved_edit = None
        self.app.events.append(("save", self.name))

    def close(self) -> None:
        self.app.books.remove(self)
        Path(self.fullname).with_name(f"~${self.name}").unlink()
        self.app.events.append(("close", self.name))


def test_build_master_saves_closes_rebuilds_and_reopens_the_open_master(built: Workspace, tmp_path: Path) -> None:
    from test_master import longlist, set_decision, table

    ws = copy_of(built, tmp_path / "p")
    place = next(p for p in table(ws.master, "Living Labs") if p["Shortlisted"] == "Yes")["Place"]
    keys: list[str] = []
    excel = DesktopExcel()
    book = excel.open(str(ws.master), unsaved_edit=lambda path: keys.append(set_decision(path, place, "Exclude", "Typed before pressing Build")))
    excel.books.insert(0, DesktopBook(excel, tmp_path / "Book1.xlsx", None))  # another workbook open in the same Excel
    ribbon.dispatch("nc_build", book)

    period = ws.reported_period()  # as the CLI's build: the latest period with accepted returns
    assert period == 1
    assert [(prompt.split(".")[0], mode) for prompt, mode in excel.alerts] == [(f"Rebuilt the master for period {period}", "info")]
    assert excel.events == [("open", "master.xlsx"), ("save", "master.xlsx"), ("close", "master.xlsx"), ("open", "master.xlsx"), ("save", "master.xlsx")]
    row = longlist(ws.master)[keys[0]]
    assert (row["Decision"], row["Coordinator note"]) == ("Exclude", "Typed before pressing Build"), "the unsaved edit was saved, then kept by the rebuild"
    reopened = excel.books[-1]
    assert reopened is not book and reopened.cells[ribbon.STATUS].endswith(f"Rebuilt the master for period {period}. Files: {ws.master}")
    assert len(list((ws.root / "backups").glob("master_*.xlsx"))) == 2


def test_a_failed_build_reopens_the_master_as_it_was_saved(built: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ribbon, "LOCK_WAIT_SECONDS", 0.3)
    ws = copy_of(built, tmp_path / "p")
    excel = DesktopExcel()
    book = excel.open(str(ws.master))
    (ws.root / ".~lock.master.xlsx#").write_text("a colleague, in LibreOffice")
    saved = snapshot(ws.root)
    ribbon.dispatch("nc_build", book)

    assert excel.events == [("open", "master.xlsx"), ("save", "master.xlsx"), ("close", "master.xlsx"), ("open", "master.xlsx")]
    assert {k: v for k, v in snapshot(ws.root).items() if not k.startswith("~$")} == {k: v for k, v in saved.items() if not k.startswith("~$")}
    [(message, mode)] = excel.alerts
    assert mode == "critical" and "Close it" in message and "open somewhere else" in message and "Traceback" not in message
