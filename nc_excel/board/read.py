"""The master as the board needs it: its rebuilt sheets read through their models.

The board's numbers must equal the master's, so the board reads the master, not
the returns: every sheet through its model in ``master.schema`` (values only, with
python-calamine), giving frames whose columns are the models' field names and
whose values are typed. Nothing here knows a header's wording.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nc_excel.analyses.finance import without_totals
from nc_excel.analyses.schedule import project_months
from nc_excel.excel.read import TableNotFound, read_frame
from nc_excel.excel.schema import columns
from nc_excel.excel.values import Grid
from nc_excel.folder import ProjectFolder
from nc_excel.master.glance import MasterView
from nc_excel.master.read import built_sheets, dashboard_figures
from nc_excel.master.schema import (
    BUDGET_LINES,
    DASHBOARD,
    FINANCE_POSITION,
    HISTORY,
    ISSUES,
    LIVING_LABS,
    REGIONS,
    RETURNS,
    SCHEDULE,
    SHORTLIST,
    TIMELINE,
    WORK_PACKAGES,
    Dashboard,
    Sheet,
    living_lab_row,
    timeline_row,
)
from nc_excel.setup.models import ProjectSetup

LAB_SHEETS = (LIVING_LABS, SHORTLIST, REGIONS)
BOARD_SHEETS = (DASHBOARD, RETURNS, ISSUES, FINANCE_POSITION, BUDGET_LINES, HISTORY, LIVING_LABS, SHORTLIST, REGIONS, SCHEDULE, WORK_PACKAGES, TIMELINE)
"""The master's sheets the board reads."""


class SummaryError(Exception):
    """The board summary cannot be written; the message says why and what to do."""

    exit_code = 2


def read_dashboard(grid: Grid, master: Path) -> Dashboard:
    """The Dashboard's figures; ``SummaryError`` when they are not all there."""
    try:
        return dashboard_figures(grid)
    except TableNotFound as exc:
        raise SummaryError(f"{master.name}: the Dashboard cannot be read ({exc}). Rebuild the master with `{ProjectFolder(master.parent).command('build')}`.") from exc


def read_master(master: Path, setup: ProjectSetup) -> MasterView:
    """The rebuilt sheets of ``master`` (values only); ``SummaryError`` when it was never built."""
    lab_sheets = () if setup.project.living_labs else LAB_SHEETS  # a master without living labs has none of their sheets
    grids = built_sheets(master, [s for s in BOARD_SHEETS if s not in lab_sheets], SummaryError)
    build = f"`{ProjectFolder(master.parent).command('build')}`"
    months = project_months(setup.project.start, setup.project.end)

    def table(sheet: Sheet, model: type | None = None) -> pd.DataFrame:
        if sheet in lab_sheets:
            return pd.DataFrame(columns=[c.name for c in columns(model or sheet.model)], dtype=object)
        try:
            return read_frame(grids[sheet.name], model or sheet.model)
        except TableNotFound as exc:
            raise SummaryError(f"{master.name}, sheet {sheet.name!r}: {exc} Rebuild the master with {build}.") from exc

    return MasterView(
        dashboard=read_dashboard(grids[DASHBOARD.name], master), partners=without_totals(table(FINANCE_POSITION)), lines=without_totals(table(BUDGET_LINES)),
        deliverables=table(SCHEDULE), work_packages=table(WORK_PACKAGES), timeline=table(TIMELINE, timeline_row(months)), months=months,
        places=table(LIVING_LABS, living_lab_row(setup.criteria)), shortlist=table(SHORTLIST), regions=table(REGIONS),
        returns=table(RETURNS), issues=table(ISSUES), history=table(HISTORY), living_labs=setup.project.living_labs,
    )
