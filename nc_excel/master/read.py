"""Open the built master for what is made from it (the board summary, the joint report).

Both read the master's rebuilt sheets through their schema models; this is where
they learn, in words a coordinator can act on, that there is no master yet, that it
cannot be read, or that it lacks a sheet they need (built by an older nc-excel).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from nc_excel.excel.read import read_fields
from nc_excel.excel.values import Grid, SpreadsheetError, open_values
from nc_excel.folder import ProjectFolder
from nc_excel.master.schema import DASHBOARD, Dashboard, Sheet


def built_sheets(master: Path, sheets: Sequence[Sheet], error: Callable[[str], Exception]) -> dict[str, Grid]:
    """The values of ``sheets`` of the built ``master``; raises ``error(message)`` saying which command helps when it has none of them."""
    folder = ProjectFolder(master.parent)
    build = f"`{folder.command('build')}`"
    if not master.is_file():
        raise error(f"{master} does not exist. Create the project with `nc-excel init {master.parent}` and build the master with {build}.")
    try:
        grids = open_values(master, {s.name for s in sheets})
    except SpreadsheetError as exc:
        raise error(f"{master} cannot be read ({exc}). {folder.restore_advice()} Or rebuild it with {build}.") from exc
    if DASHBOARD.name not in grids:
        raise error(f"{master.name} has no Dashboard sheet: the master has not been built yet. Run {build} first.")
    if missing := [s.name for s in sheets if s.name not in grids]:
        raise error(f"{master.name} lacks the sheet(s) {', '.join(missing)}: it was built by an older nc-excel. Rebuild it with {build}.")
    return grids


def dashboard_figures(grid: Grid) -> Dashboard:
    """The Dashboard's key figures, found by their labels in column A (the tiles above them hold words of
    their own); ``excel.read.TableNotFound`` when they are not all there."""
    return read_fields(grid, Dashboard, DASHBOARD.name, label_col=0)
