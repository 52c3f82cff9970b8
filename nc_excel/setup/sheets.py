"""The setup sheets of master.xlsx: written from a ``ProjectSetup``, read back into one.

The coordinator edits these sheets in Excel. Reading them back goes through the
same models that wrote them, so every mistake is reported at its sheet and cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from nc_excel.excel.read import (
    Grid,
    ReadContext,
    RowRead,
    TableRead,
    read_form,
    read_table,
)
from nc_excel.excel.schema import HEADER_ROW, cell_ref, col_letter, columns
from nc_excel.excel.values import SpreadsheetError, open_values
from nc_excel.excel.write import TITLE_ROW, Styles, print_setup, write_form, write_table
from nc_excel.issues import Issue, errors, issue
from nc_excel.setup.checks import check_setup
from nc_excel.setup.models import (
    CHOICE_LISTS,
    Choice,
    Criterion,
    Deliverable,
    Indicator,
    Partner,
    Period,
    Project,
    ProjectSetup,
    Rate,
    Region,
    WorkPackage,
    choice_lists,
    default_choices,
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
    SetupSheet("Rates", Rate, "rates", ("The Commission's monthly accounting rates (InforEuro): units of a currency per 1 EUR, one row per month and currency. "
                                         "A partner outside the euro area is converted at the rate of the month it submits its report. Replace demo figures (see Source).")),
    SetupSheet("Choices", Choice, "choices", "The lists the other sheets pick from: add or remove values in a column (one per row)."),
)


CHOICES = SETUP_SHEETS[-1]

SETTINGS_SHEET = "Settings"
SETTINGS = (
    ("nc_project_folder", "Project folder", "", "Leave empty when this workbook lies in the project folder."),
    ("nc_status", "Last action", "", "Written by the reporting ribbon after each button."),
)
"""The Settings sheet: what the Excel add-in reads (the project folder) and writes (a status line).
Each value cell has a workbook-level name, so it is found wherever rows are added."""


def _dump(model: BaseModel) -> dict[str, Any]:
    return {name: getattr(model, name) for name in type(model).model_fields}


LIVING_LAB_SHEETS = ("criteria",)
"""Setup tables that only a project with living labs needs: empty is fine when Living labs is No."""

OPTIONAL_SHEETS = ("rates",)
"""Setup tables that may be empty (a project whose partners all declare in euros needs no rates),
and that a master made before they existed lacks: read as empty, checked for what needs them."""

REQUIRED_MARK = "required"
"""Written above the header of each required column of a setup sheet."""


def write_settings_sheet(wb: Workbook, styles: Styles, project: Project) -> None:
    ws = wb.add_worksheet(SETTINGS_SHEET)
    ws.set_row(0, TITLE_ROW)
    ws.write_string(0, 0, SETTINGS_SHEET, styles.text("title"))
    ws.write_string(1, 0, f"Used by the {project.acronym} reporting ribbon in Excel ({project.name}).", styles.text("note"))
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 60)
    for r, (name, label, value, help_text) in enumerate(SETTINGS, start=HEADER_ROW):
        ws.write_string(r, 0, label, styles.fmt("label"))
        ws.write_string(r, 1, value, styles.fmt("plain"))
        ws.write_string(r, 2, help_text, styles.text("note"))
        wb.define_name(name, f"='{SETTINGS_SHEET}'!$B${r + 1}")
    print_setup(ws, header=f"{project.acronym}: {SETTINGS_SHEET}")


INSTRUCTIONS_SHEET = "Instructions"


def write_instructions_sheet(wb: Workbook, styles: Styles, steps: Sequence[tuple[str, str]]) -> None:
    """A first sheet that says how to fill in the setup (a blank project's)."""
    ws = wb.add_worksheet(INSTRUCTIONS_SHEET)
    ws.write_string(0, 0, "How to set up your project", styles.text("title"))
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 110)
    for r, (step, text) in enumerate(steps, start=HEADER_ROW - 1):
        ws.write_string(r, 0, step, styles.fmt("label"))
        ws.write_string(r, 1, text, styles.fmt("plain", wrap=True))
        ws.set_row(r, 30)
    print_setup(ws, header=INSTRUCTIONS_SHEET, landscape=False)


def write_setup_sheets(wb: Workbook, styles: Styles, setup: ProjectSetup) -> None:
    """Add the setup sheets (and the add-in's Settings sheet) to a workbook being written (the master)."""
    refs = _dropdown_refs()
    acronym = setup.project.acronym
    for spec in SETUP_SHEETS:
        ws = wb.add_worksheet(spec.sheet)
        ws.set_row(0, TITLE_ROW)
        ws.write_string(0, 0, f"{spec.sheet}", styles.text("title"))
        ws.write_string(1, 0, spec.intro, styles.text("note"))
        if spec.form:
            ws.set_column(0, 0, 34)
            ws.set_column(1, 1, 42)
            ws.set_column(2, 2, 60)
            write_form(ws, styles, spec.model, _dump(setup.project), name=spec.table, top=HEADER_ROW, editable=True, lists=refs, wb=wb)
        else:
            rows = [_dump(m) for m in getattr(setup, spec.attr)]
            write_table(ws, styles, spec.model, rows, name=spec.table, top=HEADER_ROW, editable=True, lists=refs)
            _mark_required(ws, styles, spec.model)
            ws.freeze_panes(HEADER_ROW + 1, 1)
        print_setup(ws, header=f"{acronym} setup: {spec.sheet}", repeat_row=None if spec.form else HEADER_ROW,
                    widths=() if spec.form else [c.col.width for c in columns(spec.model)], repeat_cols=1)
    write_settings_sheet(wb, styles, setup.project)


def _dropdown_refs() -> dict[str, str]:
    """Dropdown sources: the key columns of the setup sheets themselves (regions, partners, work
    packages) and the columns of the Choices sheet, with room to grow, so a value the
    coordinator adds is offered at once."""
    by_attr = {spec.attr: spec for spec in SETUP_SHEETS}

    def column_of(attr: str, field: str) -> str:
        letter = col_letter([c.name for c in columns(by_attr[attr].model)].index(field))
        return f"='{by_attr[attr].sheet}'!${letter}${HEADER_ROW + 2}:${letter}$500"

    refs = {"regions": column_of("regions", "code"), "partners": column_of("partners", "code"), "work_packages": column_of("work_packages", "code")}
    return refs | {name: column_of("choices", field) for field, name in CHOICE_LISTS.items()}


def _mark_required(ws: Worksheet, styles: Styles, model: type[BaseModel]) -> None:
    """``required`` above the header of each required column, so a coordinator filling in a
    blank project sees which cells may stay empty (the row between intro and header)."""
    for i, column in enumerate(columns(model)):
        if column.required:
            ws.write_string(HEADER_ROW - 1, i, REQUIRED_MARK, styles.text("note"))


def read_setup(path: Path) -> tuple[ProjectSetup | None, list[Issue]]:
    """Read and check the setup sheets; the setup is None when any error was found."""
    try:
        book = open_values(path, {spec.sheet for spec in SETUP_SHEETS})  # not the rebuilt sheets: a large project's master is mostly those
    except SpreadsheetError as exc:
        return None, [issue("unreadable-file", file=path.name, detail=str(exc))]
    issues: list[Issue] = []
    choices = _read_choices(book.get(CHOICES.sheet), issues)
    lists = choice_lists(choices)
    reads: dict[str, TableRead] = {}
    project_row: RowRead | None = None
    for spec in SETUP_SHEETS:
        if spec is CHOICES:
            continue
        ctx = ReadContext(sheet=spec.sheet, lists=lists)
        grid = book.get(spec.sheet)
        if grid is None and spec.attr in OPTIONAL_SHEETS:
            continue
        if grid is None:
            issues.append(issue("missing-sheet", sheet=spec.sheet, table=spec.table))
            continue
        if spec.form:
            project_row, form_issues = read_form(grid, spec.model, ctx, label_col=0)
            issues.extend(form_issues)
        else:
            reads[spec.attr] = read_table(grid, spec.model, ctx)
            issues.extend(_columns_added_later(reads[spec.attr], spec))
    project = project_row.model if project_row is not None else None
    living_labs = project is None or project.living_labs  # type: ignore[attr-defined]
    for spec in SETUP_SHEETS:
        read = reads.get(spec.attr)
        if read is not None and not read.rows and read.header_row is not None and spec.attr not in OPTIONAL_SHEETS and (living_labs or spec.attr not in LIVING_LAB_SHEETS):
            issues.append(issue("setup-empty", sheet=spec.sheet))
    if project_row is not None and project_row.model is not None:
        issues.extend(check_setup(project_row, reads))
    issues = [i.model_copy(update={"file": path.name}) for i in issues]
    if errors(issues) or project_row is None or project_row.model is None:
        return None, issues
    setup = ProjectSetup(project=project_row.model, choices=choices, **{k: [r.model for r in v.rows] for k, v in reads.items()})
    return setup, issues


def _columns_added_later(read: TableRead, spec: SetupSheet) -> list[Issue]:
    """The read's issues, where a missing column that has a default is a warning: every row takes the default.

    A master made before a column was added (a partner's Currency) keeps working after an
    upgrade, as it did (everyone in euros), and the coordinator is told how to use the column.
    A column renamed away leaves an unknown header beside the gap (``extra-column``): that is
    a mistake to correct, not an older master, and stays an error.
    """
    if read.header_row is None or any(i.code == "extra-column" for i in read.issues):
        return read.issues
    added = {c.header: c for c in columns(spec.model) if not c.required and c.name not in read.columns}
    kept = [i for i in read.issues if not (i.code == "missing-column" and i.field in added)]
    return kept + [issue("setup-column-added", field=c.header, sheet=spec.sheet, cell=cell_ref(read.header_row, len(read.columns)),
                         value=spec.model.model_fields[c.name].default) for c in added.values()]


def _read_choices(grid: Grid | None, issues: list[Issue]) -> list[Choice]:
    """The Choices sheet's rows; a master made before the sheet existed has the defaults."""
    if grid is None:
        return default_choices()
    read = read_table(grid, Choice, ReadContext(sheet=CHOICES.sheet))
    issues.extend(read.issues)
    return [r.model for r in read.rows if isinstance(r.model, Choice)]
