"""What the joint report is made from: the built master's sheets and the coordinator's wording in the previous report.

Both are read through their models (values only, with python-calamine): the
master's through ``master.schema``, the old report's summaries through
``report.schema``. Nothing here knows a header's wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from nc_excel.analyses.finance import without_totals
from nc_excel.excel.read import TableNotFound, read_frame
from nc_excel.excel.values import Grid, SpreadsheetError, open_values
from nc_excel.folder import ProjectFolder
from nc_excel.master.read import built_sheets, dashboard_figures
from nc_excel.master.schema import (
    DASHBOARD,
    FINANCE_POSITION,
    INDICATOR_PROGRESS,
    LAB_PROGRESS,
    PROGRESS,
    SCHEDULE,
    SHORTLIST,
    STATEMENT,
    WORK_PACKAGES,
    Dashboard,
    Sheet,
)
from nc_excel.report.schema import SUMMARY, TEXTS

MASTER_SHEETS = (DASHBOARD, WORK_PACKAGES, PROGRESS, SCHEDULE, INDICATOR_PROGRESS, STATEMENT, FINANCE_POSITION)
LAB_SHEETS = (SHORTLIST, LAB_PROGRESS)
"""The master's living-lab sheets the report shows, in a project that has living labs."""
"""The master's sheets the report reads."""


class ReportError(Exception):
    """The joint report (or the reminders) cannot be written; the message says why and what to do."""

    exit_code = 2


@dataclass(frozen=True)
class MasterSheets:
    """The master's rebuilt sheets the report needs, typed, by field name."""

    dashboard: Dashboard
    work_packages: pd.DataFrame  # Work package status
    progress: pd.DataFrame  # Progress: the partners' texts, all periods
    deliverables: pd.DataFrame  # Schedule
    indicators: pd.DataFrame  # Indicator progress
    statement: pd.DataFrame  # Statement of expenditure
    partners: pd.DataFrame  # Finance position
    shortlist: pd.DataFrame | None  # Shortlist (None: the project has no living labs)
    lab_progress: pd.DataFrame | None  # Living lab progress (None: the project has no living labs)


def read_master_sheets(master: Path, living_labs: bool) -> MasterSheets:
    """The sheets of the built master (with ``living_labs``, theirs too); ``ReportError`` saying how to get one when it is not there."""
    grids = built_sheets(master, MASTER_SHEETS + (LAB_SHEETS if living_labs else ()), ReportError)
    build = f"`{ProjectFolder(master.parent).command('build')}`"

    def table(sheet: Sheet) -> pd.DataFrame:
        return _frame(grids[sheet.name], sheet.model, f"{master.name}, sheet {sheet.name!r}", f"Rebuild the master with {build}.")

    try:
        dashboard = dashboard_figures(grids[DASHBOARD.name])
    except TableNotFound as exc:
        raise ReportError(f"{master.name}: the Dashboard cannot be read ({exc}). Rebuild the master with {build}.") from exc
    return MasterSheets(
        dashboard=dashboard, work_packages=table(WORK_PACKAGES), progress=table(PROGRESS), deliverables=table(SCHEDULE),
        indicators=table(INDICATOR_PROGRESS), statement=table(STATEMENT),
        partners=without_totals(table(FINANCE_POSITION)),
        shortlist=table(SHORTLIST) if living_labs else None, lab_progress=table(LAB_PROGRESS) if living_labs else None,
    )


def _frame(grid: Grid, model: type[BaseModel] | None, where: str, fix: str) -> pd.DataFrame:
    assert model is not None
    try:
        return read_frame(grid, model)
    except TableNotFound as exc:
        raise ReportError(f"{where}: {exc} {fix}") from exc


def read_summaries(report: Path) -> dict[tuple[str, str], str]:
    """The coordinator's Project summary texts in an earlier report, by (work package, topic); none when there is no report yet."""
    if not report.is_file():
        return {}
    fix = f"Put the column back (or move {report.name} away to start a new report without your summaries) and run the command again."
    try:
        grid = open_values(report, {TEXTS.name}).get(TEXTS.name)
    except SpreadsheetError as exc:
        raise ReportError(f"{report} cannot be read ({exc}), so your Project summary texts in it cannot be kept. {fix}") from exc
    if grid is None:
        raise ReportError(f"{report.name} has no sheet {TEXTS.name!r}, which holds your Project summary texts. {fix}")
    texts = _frame(grid, TEXTS.model, f"{report.name}, sheet {TEXTS.name!r}", fix)
    return {(r.work_package, r.topic): r.text for r in texts.itertuples() if r.kind == SUMMARY and r.work_package and r.topic and r.text}
