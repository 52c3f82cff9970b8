"""The coordinator's own columns of the master, read back before a rebuild.

Living-lab decisions and notes, issue resolutions and deliverable comments are
typed by the coordinator into the rebuilt sheets; they are read through the
sheets' models (``master.schema``) by their stable keys, so a rebuild writes them
back to the same rows, and one whose row has gone is kept as orphaned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from nc_excel.analyses.places import SELECTED
from nc_excel.excel.read import TableNotFound, read_frame
from nc_excel.excel.values import Grid, SpreadsheetError, open_values
from nc_excel.folder import ProjectFolder
from nc_excel.master.schema import (
    ISSUES,
    LIVING_LABS,
    ORPHANED,
    SCHEDULE,
    Sheet,
    living_lab_row,
)

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported where a frame is made: the templates of a project whose master has no
# Living Labs sheet yet (its first period) ask for the selected labs without needing it.


def _frame(fields: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=list(fields))


class MasterError(Exception):
    """The master cannot be rebuilt; the message says why and what to do."""

    exit_code = 2


@dataclass
class Decisions:
    """The coordinator's own columns, by stable key."""

    living_labs: pd.DataFrame = field(default_factory=lambda: _frame(["place_key", "decision", "note"]))
    issues: dict[str, str] = field(default_factory=dict)  # issue key -> resolution
    deliverables: dict[str, str] = field(default_factory=dict)  # deliverable code -> comment
    orphaned: pd.DataFrame = field(default_factory=lambda: _frame(["sheet", "key", "decision", "note"]))


def _typed(grids: dict[str, Grid], sheet: Sheet, fields: Sequence[str], master: Path, model: type[BaseModel] | None = None) -> pd.DataFrame:
    """The coordinator's columns of one rebuilt sheet (blanks as ""); none when the sheet is not there yet."""
    grid = grids.get(sheet.name)
    if grid is None:
        return _frame(fields)
    try:
        frame = read_frame(grid, model or sheet.model, fields=fields)
    except TableNotFound as exc:
        raise MasterError(f"{master.name}, sheet {sheet.name!r}: {exc} {ProjectFolder(master.parent).restore_advice()}") from exc
    return frame.fillna("").astype(str).map(str.strip)


def read_decisions(master: Path) -> Decisions:
    """What the coordinator typed into the rebuilt sheets of the current master."""
    sheets = (LIVING_LABS, ISSUES, SCHEDULE, ORPHANED)
    try:
        grids = open_values(master, {s.name for s in sheets})
    except SpreadsheetError as exc:
        raise MasterError(f"{master} cannot be read ({exc}). {ProjectFolder(master.parent).restore_advice()}") from exc
    decisions = Decisions()
    labs = _typed(grids, LIVING_LABS, ["place_key", "decision", "note"], master, living_lab_row(()))
    decisions.living_labs = labs[(labs["place_key"] != "") & ((labs["decision"] != "") | (labs["note"] != ""))].reset_index(drop=True)
    issues = _typed(grids, ISSUES, ["key", "resolution"], master)
    decisions.issues = {k: v for k, v in zip(issues["key"], issues["resolution"]) if k and v}
    comments = _typed(grids, SCHEDULE, ["code", "comment"], master)
    decisions.deliverables = {k: v for k, v in zip(comments["code"], comments["comment"]) if k and v}
    orphaned = _typed(grids, ORPHANED, ["sheet", "key", "decision", "note"], master)
    decisions.orphaned = orphaned[orphaned["key"] != ""].reset_index(drop=True)
    # A decision orphaned earlier comes back when its row does.
    for r in decisions.orphaned.itertuples():
        if r.sheet == LIVING_LABS.name and r.key not in set(decisions.living_labs["place_key"]):
            decisions.living_labs.loc[len(decisions.living_labs)] = [r.key, r.decision, r.note]
        elif r.sheet == ISSUES.name:
            decisions.issues.setdefault(r.key, r.note)
        elif r.sheet == SCHEDULE.name:
            decisions.deliverables.setdefault(r.key, r.note)
    return decisions


def selected_labs(master: Path) -> dict[str, list[dict[str, str]]]:
    """The living labs the coordinator marked Selected on the Living Labs sheet, by each
    partner that proposed them (place name and municipality, in long-list order)."""
    try:
        grids = open_values(master, {LIVING_LABS.name})
    except SpreadsheetError as exc:
        raise MasterError(f"{master} cannot be read ({exc}). {ProjectFolder(master.parent).restore_advice()}") from exc
    if LIVING_LABS.name not in grids:
        return {}  # not built yet: nothing selected
    labs = _typed(grids, LIVING_LABS, ["decision", "name", "municipality", "proposers"], master, living_lab_row(()))
    found: dict[str, list[dict[str, str]]] = {}
    for lab in labs.loc[labs["decision"].str.casefold() == SELECTED.casefold()].itertuples():
        for partner in (p.strip() for p in lab.proposers.split(",") if p.strip()):
            found.setdefault(partner, []).append({"name": lab.name, "municipality": lab.municipality})
    return found
