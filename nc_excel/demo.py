"""The whole reporting cycle on the embedded Northern Connections data, in one call.

It plays the project's first report: period 1 (November 2016 to October 2017),
in mid-October 2017, with 150+ living-lab candidates to boil down to two per
region and first level control due by the end of October. Partners are
simulated the way they behave: most send a good return, some make the usual
mistakes (numbers in the European way, an ambiguous amount, the wrong template,
a renamed sheet, a text date, the same place as a neighbour, Completed below
100 %), two are late and one of them never sends. The coordinator collects,
partners correct their feedback workbooks, the coordinator collects again,
builds the master and the board summary. Everything is seeded: the same run
gives the same files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from nc_excel.intake.collect import CollectResult
from nc_excel.master.build import MasterResult
from nc_excel.partner.schema import template_name
from nc_excel.partner.simulate import fill_workbook, partner_entries, rename_sheet, save
from nc_excel.setup.demo import northern_connections
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

Progress = Callable[[int, int, str], None]

SEED = 2017
GENERATED_AT = dt.datetime(2017, 9, 1, 9, 0)
FIRST_COLLECT = dt.datetime(2017, 10, 13, 16, 0)
SECOND_COLLECT = dt.datetime(2017, 10, 16, 9, 0)
AS_OF = dt.date(2017, 10, 16)
LATE = ("FKC",)  # sends after the first collect
MISSING = ("SCE",)  # has not sent anything by the time the master is built

# What partners get wrong in their first return: (sheet, cell) -> what they typed.
MISTAKES: dict[str, dict[tuple[str, str], Any]] = {
    "HOE": {("Finance", "D5"): "12.345,67", ("Finance", "D7"): "1.234",  # European number (fine), ambiguous amount (error)
            ("Finance", "B15"): "In control", ("Finance", "B16"): None},
    "BRG": {("Deliverables", "G5"): "28.02.2017"},  # a date typed as text (fine)
    "SHL": {("Progress", "C5"): "Completed", ("Progress", "D5"): 85},  # completed at 85 % (error)
    "OSL": {("Progress", "F5"): '=HYPERLINK("http://example.org","see our site")'},  # stays text
}
RENAMED_SHEET = {"AAR": ("Progress", "Fremdrift")}
WRONG_TEMPLATE = "RSD"  # fills in the period-2 template by mistake
SAME_PLACE = ("FHH", "EEH")  # the second proposes the first's place again, spelt differently
CORRECTIONS: dict[str, dict[tuple[str, str], Any]] = {
    "HOE": {("Finance", "D7"): 1234.0},
    "SHL": {("Progress", "D5"): 100},
}


@dataclass
class DemoResult:
    root: Path
    first: CollectResult | None = None
    second: CollectResult | None = None
    master: MasterResult | None = None
    board: list[Path] = field(default_factory=list)
    board_note: str = ""


def _first_returns(ws: Workspace, setup: ProjectSetup) -> None:
    inbox = ws.inbox / "2017-10-13"
    for partner in (p.code for p in setup.partners):
        if partner in LATE + MISSING:
            continue
        entries = partner_entries(setup, partner, 1, seed=SEED, as_of=AS_OF)
        period = 1
        if partner == SAME_PLACE[1]:
            neighbour = partner_entries(setup, SAME_PLACE[0], 1, seed=SEED, as_of=AS_OF).tables["LivingLabs"][0]
            entries.tables["LivingLabs"].insert(0, {**neighbour, "name": f"  {neighbour['name'].upper()}", "contact": None})
        if partner == WRONG_TEMPLATE:
            ws.generate_templates(2, [partner], now=GENERATED_AT)
            period = 2
        template = ws.outbox(period) / template_name(setup, period, partner)
        out = inbox / f"{partner}_P1.xlsx"
        fill_workbook(template, out, entries, setup, overrides=MISTAKES.get(partner))
        if partner in RENAMED_SHEET:
            wb = openpyxl.load_workbook(out)
            rename_sheet(wb, *RENAMED_SHEET[partner])
            save(wb, out)


def _second_returns(ws: Workspace, setup: ProjectSetup, first: CollectResult) -> None:
    inbox = ws.inbox / "2017-10-16"
    for c in first.collected:
        partner = c.entry.partner
        if partner in CORRECTIONS and c.entry.feedback:
            out = inbox / f"{partner}_P1_corrected.xlsx"
            entries = partner_entries(setup, partner, 1, seed=SEED, as_of=AS_OF)
            fill_workbook(ws.resolve(c.entry.feedback), out, entries, setup, overrides={**MISTAKES.get(partner, {}), **CORRECTIONS[partner]})
    for partner in (WRONG_TEMPLATE, *LATE):
        out = inbox / f"{partner}_P1.xlsx"
        fill_workbook(ws.outbox(1) / template_name(setup, 1, partner), out, partner_entries(setup, partner, 1, seed=SEED, as_of=AS_OF), setup)


STEPS = ("project", "templates", "partners fill in", "first collect", "corrections", "second collect", "master", "board summary")


def run_demo(root: Path, *, pdf: bool = True, progress: Progress | None = None) -> DemoResult:
    """Play the first reporting cycle of Northern Connections in ``root`` (which must not hold a project)."""
    report = progress or (lambda done, total, label: None)
    total = len(STEPS)
    report(0, total, STEPS[0])
    setup = northern_connections(template_key=f"demo-{SEED}")
    ws = Workspace.create(root, setup, created=GENERATED_AT)
    result = DemoResult(root)
    report(1, total, STEPS[1])
    ws.generate_templates(1, now=GENERATED_AT)
    report(2, total, STEPS[2])
    _first_returns(ws, setup)
    report(3, total, STEPS[3])
    result.first = ws.collect(now=FIRST_COLLECT)
    report(4, total, STEPS[4])
    _second_returns(ws, setup, result.first)
    report(5, total, STEPS[5])
    result.second = ws.collect(now=SECOND_COLLECT)
    report(6, total, STEPS[6])
    result.master = ws.build(as_of=AS_OF, period=1)
    report(7, total, STEPS[7])
    board = ws.summary(1, pdf=pdf)
    result.board = board.paths
    result.board_note = (board.pdf_problem or "") if pdf else ""
    report(total, total, "done")
    return result
