"""The setup sheets of master.xlsx: written from a ``ProjectSetup``, read back into one.

The coordinator edits these sheets in Excel. Reading them back goes through the
same models that wrote them, so every mistake is reported at its sheet and cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from xlsxwriter.workbook import Workbook

from nc_excel.excel.read import ReadContext, RowRead, TableRead, read_form, read_table
from nc_excel.excel.schema import HEADER_ROW, col_letter
from nc_excel.excel.values import SpreadsheetError, open_values
from nc_excel.excel.write import Styles, print_setup, write_form, write_table
from nc_excel.issues import Issue, errors, issue
from nc_excel.setup.checks import check_setup
from nc_excel.setup.models import (
    Criterion,
    Deliverable,
    Indicator,
    Partner,
    Period,
    Project,
    ProjectSetup,
    Region,
    WorkPackage,
)


@dataclass(frozen=True)
class SetupSheet:
    sheet: str
    model: type[BaseModel]
    attr: str
    intro: str
    form: bool = False

    @property
    def table(self) -> str:
        return "Setup" + "".join(w.capitalize() for w in self.attr.split("_"))


SETUP_SHEETS: tuple[SetupSheet, ...] = (
    SetupSheet("Project", Project, "project", "The project and the rules of the programme.", form=True),
    SetupSheet("Regions", Region, "regions", "The regions that take part; living labs are shortlisted per region."),
    SetupSheet("Partners", Partner, "partners", "One row per partner, with its budget per cost category (EUR)."),
    SetupSheet("Work packages", WorkPackage, "work_packages", "Work packages with their lead and participating partners."),
    SetupSheet("Deliverables", Deliverable, "deliverables", "Deliverables with the partner responsible and the due date."),
    SetupSheet("Indicators", Indicator, "indicators", "Output indicators; each reporting partner reports against the target."),
    SetupSheet("Periods", Period, "periods", "Reporting periods with the deadlines for partners and first level control."),
    SetupSheet("Criteria", Criterion, "criteria", "Living-lab selection criteria: scored, must-have (Yes) or knock-out (No)."),
)


SETTINGS_SHEET = "Settings"
SETTINGS = (
    ("nc_project_folder", "Project folder", "", "Leave empty when this workbook lies in the project folder."),
    ("nc_status", "Last action", "", "Written by the Northern Connections ribbon after each button."),
)
"""The Settings sheet: what the Excel add-in reads (the project folder) and writes (a status line).
Each value cell has a workbook-level name, so it is found wherever rows are added."""


def _dump(model: BaseModel) -> dict[str, Any]:
    return {name: getattr(model, name) for name in type(model).model_fields}


def write_settings_sheet(wb: Workbook, styles: Styles) -> None:
    ws = wb.add_worksheet(SETTINGS_SHEET)
    ws.write_string(0, 0, SETTINGS_SHEET, styles.text("title"))
    ws.write_string(1, 0, "Used by the Northern Connections ribbon in Excel.", styles.text("note"))
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 60)
    for r, (name, label, value, help_text) in enumerate(SETTINGS, start=HEADER_ROW):
        ws.write_string(r, 0, label, styles.fmt("label"))
        ws.write_string(r, 1, value, styles.fmt("plain"))
        ws.write_string(r, 2, help_text, styles.text("note"))
        wb.define_name(name, f"='{SETTINGS_SHEET}'!$B${r + 1}")


def write_setup_sheets(wb: Workbook, styles: Styles, setup: ProjectSetup) -> None:
    """Add the setup sheets (and the add-in's Settings sheet) to a workbook being written (the master)."""
    refs: dict[str, str] = {}
    # Lists for the dropdowns point at the key columns of the sheets themselves,
    # with room to grow, so a partner the coordinator adds is offered at once.
    for spec, key in ((SETUP_SHEETS[1], "regions"), (SETUP_SHEETS[2], "partners"), (SETUP_SHEETS[3], "work_packages")):
        letter = col_letter(1 if spec.model is Partner else 0)
        refs[key] = f"='{spec.sheet}'!${letter}${HEADER_ROW + 2}:${letter}$500"
    acronym = setup.project.acronym
    for spec in SETUP_SHEETS:
        ws = wb.add_worksheet(spec.sheet)
        ws.write_string(0, 0, f"{spec.sheet}", styles.text("title"))
        ws.write_string(1, 0, spec.intro, styles.text("note"))
        if spec.form:
            ws.set_column(0, 0, 34)
            ws.set_column(1, 1, 42)
            ws.set_column(2, 2, 60)
            write_form(ws, styles, spec.model, _dump(setup.project), name=spec.table, top=HEADER_ROW, editable=True, wb=wb)
        else:
            rows = [_dump(m) for m in getattr(setup, spec.attr)]
            write_table(ws, styles, spec.model, rows, name=spec.table, top=HEADER_ROW, editable=True, lists=refs)
            ws.freeze_panes(HEADER_ROW + 1, 1)
        print_setup(ws, header=f"{acronym} setup: {spec.sheet}", repeat_row=None if spec.form else HEADER_ROW)
    write_settings_sheet(wb, styles)


def read_setup(path: Path) -> tuple[ProjectSetup | None, list[Issue]]:
    """Read and check the setup sheets; the setup is None when any error was found."""
    try:
        book = open_values(path)
    except SpreadsheetError as exc:
        return None, [issue("unreadable-file", file=path.name, detail=str(exc))]
    reads: dict[str, TableRead] = {}
    project_row: RowRead | None = None
    issues: list[Issue] = []
    for spec in SETUP_SHEETS:
        ctx = ReadContext(sheet=spec.sheet)
        grid = book.get(spec.sheet)
        if grid is None:
            issues.append(issue("missing-sheet", sheet=spec.sheet, table=spec.table))
            continue
        if spec.form:
            project_row, form_issues = read_form(grid, spec.model, ctx, label_col=0)
            issues.extend(form_issues)
        else:
            reads[spec.attr] = read_table(grid, spec.model, ctx)
            issues.extend(reads[spec.attr].issues)
            if not reads[spec.attr].rows and reads[spec.attr].header_row is not None:
                issues.append(issue("setup-empty", sheet=spec.sheet))
    if project_row is not None and project_row.model is not None:
        issues.extend(check_setup(project_row, reads))
    issues = [i.model_copy(update={"file": path.name}) for i in issues]
    if errors(issues) or project_row is None or project_row.model is None:
        return None, issues
    setup = ProjectSetup(project=project_row.model, **{k: [r.model for r in v.rows] for k, v in reads.items()})
    return setup, issues
