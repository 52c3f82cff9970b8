"""Write the joint progress report ``report/<ACRONYM>_progress_P<N>.xlsx`` from the built master (and its PDF).

The North Sea Region programme asks the lead partner for one progress report, one
statement of expenditure and one claim that combine every partner's input. This
workbook is that draft, for the coordinator to edit and paste into the programme's
monitoring system: a cover with the key figures, the work packages and their texts
(a yellow *Project summary* row for the coordinator's own words above the partners'
paragraphs), deliverables, indicators, the statement of expenditure and the FLC
certificates it rests on, what is not ready, and the living labs.

Every figure is the master's (read through its schema); partner text is written
as text, never as a formula. The Project summary rows are read from the previous
report of the period first and written back by their key, so a rebuild keeps them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

from nc_excel.analyses.statement import PROJECT_TOTAL, REPORT_TOTAL
from nc_excel.excel.libreoffice import convert_to_pdf
from nc_excel.excel.schema import HEADER_ROW, columns
from nc_excel.excel.write import (
    TITLE_ROW,
    Styles,
    atomic_workbook,
    fit_row,
    print_setup,
    row_height,
    write_info,
    write_table,
)
from nc_excel.folder import ProjectFolder
from nc_excel.master.build import lock_file
from nc_excel.report.contents import (
    TOTAL,
    certificate_list,
    not_ready,
    project_indicators,
    work_package_texts,
)
from nc_excel.report.read import (
    MasterSheets,
    ReportError,
    read_master_sheets,
    read_summaries,
)
from nc_excel.report.schema import (
    CERTIFICATES,
    COVER,
    DELIVERABLES,
    INDICATORS,
    LAB_PROGRESS,
    NOT_READY,
    SHEETS,
    SHORTLIST,
    STATEMENT,
    SUMMARY,
    TEXTS,
    WORK_PACKAGES,
    ReportSheet,
    report_name,
)
from nc_excel.setup.models import ProjectSetup

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ReportResult:
    """What ``build_report`` wrote: the workbook, and the PDF or why there is none."""

    workbook: Path
    pdf: Path | None
    pdf_problem: str | None
    period: int
    as_of: dt.date
    summaries_kept: int  # the coordinator's Project summary texts carried over from the previous report
    not_ready: list[str]  # partner codes whose report cannot be claimed yet

    @property
    def paths(self) -> list[Path]:
        return [self.workbook] + ([self.pdf] if self.pdf else [])


def _sheet(wb: Workbook, styles: Styles, note: Format, spec: ReportSheet, frame: pd.DataFrame, header: str, *,
           typed_rows: frozenset[int] = frozenset(), totals: Iterable[int] = ()) -> None:
    """A title, an intro and the table; ``typed_rows``: the rows whose input cells are the coordinator's (the others stay
    locked); ``totals``: rows shown in bold."""
    ws = wb.add_worksheet(spec.name)
    ws.set_row(0, TITLE_ROW)
    ws.write_string(0, 0, spec.title, styles.text("title"))
    cols = columns(spec.model)
    width = sum(c.col.width for c in cols)
    ws.merge_range(1, 0, 1, len(cols) - 1, spec.intro, note)  # within the printed width
    ws.set_row(1, fit_row([(spec.intro, width)]))
    rows = [{k: (None if v is None or (isinstance(v, float) and pd.isna(v)) else v) for k, v in r.items()} for r in frame.to_dict("records")]
    write_table(ws, styles, spec.model, rows, name=spec.table, top=HEADER_ROW, locked_rows=frozenset(range(len(rows))) - typed_rows,
                strong_rows=frozenset(totals))
    wrapped = [c for c in cols if c.col.wrap]
    for r in typed_rows:  # three lines at least, for the coordinator's own text
        ws.set_row(HEADER_ROW + 1 + r, fit_row(((rows[r].get(c.name), c.col.width) for c in wrapped), least=row_height(3)))
    ws.freeze_panes(HEADER_ROW + 1, 0)
    print_setup(ws, header=header, repeat_row=HEADER_ROW)


def _cover(wb: Workbook, styles: Styles, setup: ProjectSetup, m: MasterSheets, header: str) -> None:
    d, p = m.dashboard, setup.project
    ws = wb.add_worksheet(COVER)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 70)
    ws.set_row(0, TITLE_ROW)
    ws.write_string(0, 0, f"{p.name} ({p.acronym}): joint progress report, period {d.period}", styles.text("title"))
    ws.write_string(1, 0, "A draft from the master for the programme's monitoring system. Write the project's own words into the yellow "
                          f"{SUMMARY} rows of the sheet {TEXTS.name}; they are kept when the report is rebuilt.", styles.text("note"))
    write_info(ws, styles, [
        ("Programme", p.programme),
        ("Reporting period", f"Period {d.period}: {d.period_start:%d %B %Y} to {d.period_end:%d %B %Y}"),
        ("Figures as of", d.as_of),
        ("Lead partner", p.coordinator),
        ("Project status", d.status_line),
        ("Partner reports accepted", f"{d.accepted} of {d.partners}" + (f" (missing: {d.missing})" if d.missing else "")),
        ("Ready for the claim", f"{d.ready} of {d.partners} partners (reported, certified, no open errors)"),
        ("Declared in the period (EUR)", d.declared_period),
        ("Certified by FLC to date (EUR)", d.certified),
        ("ERDF due to date (EUR)", d.erdf_due),
        ("Norwegian funding due to date (EUR)", d.norway_due),
        ("Deliverables", f"{d.done} of {d.deliverables} done, {d.overdue} overdue"),
    ] + ([("Living labs", f"{d.places} places proposed, {d.shortlisted} shortlisted")] if p.living_labs else []), top=HEADER_ROW)
    shown = [s.name for s in SHEETS if p.living_labs or s not in (SHORTLIST, LAB_PROGRESS)]
    ws.write_string(HEADER_ROW + 14, 0, "Sheets: " + ", ".join(shown) + ".", styles.text("note"))
    print_setup(ws, header=header, landscape=False)


def _where(mask: pd.Series) -> list[int]:
    return [i for i, hit in enumerate(mask) if hit]


def write_report(path: Path, setup: ProjectSetup, m: MasterSheets, summaries: dict[tuple[str, str], str]) -> pd.DataFrame:
    """Write the report workbook (atomically); returns the not-ready frame it shows."""
    d = m.dashboard
    header = f"{setup.project.name} ({setup.project.acronym}): joint progress report, period {d.period}"
    created = dt.datetime.combine(d.as_of, dt.time(0, 0))
    texts = work_package_texts(setup, m.progress, d.period, summaries)
    waiting = not_ready(m.partners)
    with atomic_workbook(path, created=created) as wb:
        wb.set_properties({"title": header, "author": setup.project.coordinator, "company": setup.project.name, "created": created,
                           "comments": f"Built from master.xlsx as of {d.as_of:%Y-%m-%d}."})
        styles = Styles(wb)
        note = styles.text("note_wrap")  # an intro wrapped within the table's width
        _cover(wb, styles, setup, m, header)
        _sheet(wb, styles, note, WORK_PACKAGES, m.work_packages, header)
        _sheet(wb, styles, note, TEXTS, texts, header, typed_rows=frozenset(i for i, kind in enumerate(texts["kind"]) if kind == SUMMARY))
        _sheet(wb, styles, note, DELIVERABLES, m.deliverables, header)
        _sheet(wb, styles, note, INDICATORS, project_indicators(m.indicators), header)
        _sheet(wb, styles, note, STATEMENT, m.statement, header, totals=_where(m.statement["category_label"].isin((REPORT_TOTAL, PROJECT_TOTAL))))
        certificates = certificate_list(m.statement)
        _sheet(wb, styles, note, CERTIFICATES, certificates, header, totals=_where(certificates["partner"] == TOTAL))
        _sheet(wb, styles, note, NOT_READY, waiting, header)
        if m.shortlist is not None and m.lab_progress is not None:  # a project with living labs
            _sheet(wb, styles, note, SHORTLIST, m.shortlist, header)
            _sheet(wb, styles, note, LAB_PROGRESS, m.lab_progress[m.lab_progress["period"] == d.period], header)
        wb.worksheets()[0].activate()
    return waiting


def build_report(root: Path, setup: ProjectSetup, period: int, *, pdf: bool = False, progress: Progress | None = None) -> ReportResult:
    """Read ``root/master.xlsx`` (built for ``period``) and the previous report, write ``report/<ACRONYM>_progress_P<period>.xlsx`` (and its PDF)."""
    report = progress or (lambda done, total, label: None)
    steps = 3 if pdf else 2
    folder = ProjectFolder(root)
    report(0, steps, "reading the master")
    m = read_master_sheets(folder.master, setup.project.living_labs)
    if m.dashboard.period != period:
        raise ReportError(f"{folder.master.name} was built for period {m.dashboard.period} (as of {m.dashboard.as_of:%Y-%m-%d}), not period {period}. "
                          f"Run `{folder.command(f'build --period {period}')}` first, then write the report again.")
    path = folder.reports / report_name(setup, period)
    if (lock := lock_file(path)) is not None:
        raise ReportError(f"{path.name} is open in a spreadsheet application ({lock.name} exists). Save your edits, close it and run the command again; nothing was changed.")
    summaries = read_summaries(path)
    report(1, steps, "writing the workbook")
    waiting = write_report(path, setup, m, summaries)
    made, problem = None, None
    if pdf:
        report(2, steps, "printing to PDF")
        made, problem = convert_to_pdf(path)
    if made is None and path.with_suffix(".pdf").exists():  # an older PDF would no longer match the workbook
        path.with_suffix(".pdf").unlink()
    report(steps, steps, "done")
    return ReportResult(workbook=path, pdf=made, pdf_problem=problem, period=period, as_of=m.dashboard.as_of,
                        summaries_kept=len(summaries), not_ready=list(waiting["partner"]))
