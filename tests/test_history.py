"""Checks and figures across periods: each return is judged against the partner's earlier ones.

Two periods are played with real files: period-1 returns collected, period-2
templates made from them, period-2 returns filled in (with openpyxl, so computed
cells carry no results, as from any script) and collected, the master built.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import copy_project

from nc_excel.folder import ProjectFolder
from nc_excel.intake.collect import CollectResult
from nc_excel.partner.schema import Entries, template_name
from nc_excel.partner.simulate import fill_workbook, partner_entries
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

P1_COLLECTED = dt.datetime(2017, 10, 16, 9, 0)
P2_MADE = dt.datetime(2017, 11, 6, 9, 0)
P2_COLLECTED = dt.datetime(2018, 4, 20, 9, 0)
DONE_ON = dt.date(2017, 5, 1)


@pytest.fixture()
def project(demo_project: Workspace, tmp_path: Path) -> Workspace:
    """The project with the period-1 templates, copied for the test to collect into."""
    return copy_project(demo_project, tmp_path)


def returned(ws: Workspace, setup: ProjectSetup, partner: str, period: int, entries: Entries | None = None,
             overrides: dict | None = None) -> Path:
    """The partner's template of ``period`` filled in with openpyxl and dropped in the inbox."""
    template = ws.outbox(period) / template_name(setup, period, partner)
    out = ws.root / "inbox" / f"{partner} period {period}.xlsx"
    return fill_workbook(template, out, entries or partner_entries(setup, partner, period), setup, overrides=overrides)


def first_deliverable_done(setup: ProjectSetup, partner: str) -> Entries:
    """Period-1 answers in which the partner's first deliverable is Done and its first indicator at 3."""
    entries = partner_entries(setup, partner, 1)
    entries.tables["Deliverables"][0].update(status="Done", date=DONE_ON)
    entries.tables["Indicators"][0]["achieved"] = Decimal(3)
    return entries


def now_delayed(setup: ProjectSetup, partner: str, code: str) -> Entries:
    """Period-2 answers in which deliverable ``code`` is Delayed again."""
    entries = partner_entries(setup, partner, 2)
    row = next(r for r in entries.tables["Deliverables"] if r["code"] == code)
    row.update(status="Delayed", date=dt.date(2018, 9, 1))
    return entries


def of(result: CollectResult, partner: str):
    return next(c for c in result.collected if c.entry.partner == partner)


@pytest.mark.parametrize("records", ["kept", "deleted"])
def test_a_deliverable_done_in_period_1_and_delayed_in_period_2_is_a_warning_naming_both(project: Workspace, demo_setup: ProjectSetup, records: str) -> None:
    """The period-1 return is known from its parsed record or, with the records deleted, from its archived workbook."""
    p1 = first_deliverable_done(demo_setup, "RSD")
    code = p1.tables["Deliverables"][0]["code"]
    returned(project, demo_setup, "RSD", 1, p1)
    project.collect(now=P1_COLLECTED)
    if records == "deleted":
        shutil.rmtree(ProjectFolder(project.root).parsed("x").parent)
    project.generate_templates(2, ["RSD"], now=P2_MADE)
    returned(project, demo_setup, "RSD", 2, now_delayed(demo_setup, "RSD", code))
    got = of(project.collect(now=P2_COLLECTED), "RSD")
    reopened = [i for i in got.issues if i.code == "deliverable-reopened" and i.value == code]
    assert [(i.severity, i.sheet, i.cell) for i in reopened] == [("warning", "Deliverables", "F5")]  # the Status cell of its row
    assert reopened[0].message == f"{code} was reported Done in period 1 (on 2017-05-01) and is now Delayed in period 2."
    assert got.entry.status == "accepted with warnings"


def test_period_2_returns_are_checked_against_each_partners_period_1_return(project: Workspace, demo_setup: ProjectSetup) -> None:
    """Five period-2 returns collected together: the earlier returns of all five are read in one go, each
    return judged against its own partner's. FHH's period-2 template was made before its late period-1
    return came in, so its Reported before shows 0 where the master counts 3."""
    partners = ["RSD", "AAL", "OSL", "SHL", "FHH"]
    codes = {}
    for p in partners[:4]:
        codes[p] = (entries := first_deliverable_done(demo_setup, p)).tables["Deliverables"][0]["code"]
        returned(project, demo_setup, p, 1, entries)
    project.collect(now=P1_COLLECTED)
    project.generate_templates(2, partners, now=P2_MADE)
    codes["FHH"] = (entries := first_deliverable_done(demo_setup, "FHH")).tables["Deliverables"][0]["code"]
    returned(project, demo_setup, "FHH", 1, entries)
    project.collect(now=P1_COLLECTED + dt.timedelta(days=30))
    for p in partners:
        returned(project, demo_setup, p, 2, now_delayed(demo_setup, p, codes[p]))
    result = project.collect(now=P2_COLLECTED)
    assert {c.entry.partner: c.entry.status for c in result.collected} == dict.fromkeys(partners, "accepted with warnings")
    for p in partners:
        issues = of(result, p).issues
        assert ("deliverable-reopened", codes[p], "F5") in {(i.code, i.value, i.cell) for i in issues}
        stale = [i for i in issues if i.code == "reported-before-differs"]
        assert {(i.sheet, i.cell) for i in stale} >= {("Indicators", "E5")} if p == "FHH" else not stale
    fhh = next(i for i in of(result, "FHH").issues if i.code == "reported-before-differs" and i.cell == "E5")
    assert "shows 0" in fhh.message and "period(s) 1 add up to 3" in fhh.message


def test_a_return_saved_without_computed_results_has_its_cumulative_in_the_master(project: Workspace, demo_setup: ProjectSetup) -> None:
    path = returned(project, demo_setup, "OSL", 1)
    assert openpyxl.load_workbook(path, data_only=True)["Indicators"]["G5"].value is None  # the file holds no result
    project.collect(now=P1_COLLECTED)
    project.build(as_of=dt.date(2017, 11, 1), period=1)
    ws = openpyxl.load_workbook(project.master, data_only=True)["Indicators reported"]
    head = [c.value for c in ws[4]]
    rows = [dict(zip(head, (c.value for c in row))) for row in ws.iter_rows(min_row=5)]
    assert rows and all(r["Cumulative"] == r["Reported before"] + r["Achieved in period"] for r in rows)


def indicator_lines(master: Path) -> tuple[openpyxl.worksheet.worksheet.Worksheet, dict[tuple[str, str], int]]:
    ws = openpyxl.load_workbook(master)["Indicator progress"]
    assert [c.value for c in ws[4]] == ["Indicator", "Output indicator", "Unit", "Partner", "Target", "Reported before",
                                       "This period", "Cumulative", "Share of target"]
    return ws, {(ws.cell(r, 1).value, ws.cell(r, 4).value): r for r in range(5, ws.max_row + 1)}


def test_the_master_shows_indicators_before_this_period_cumulative_and_share_of_target(project: Workspace, demo_setup: ProjectSetup) -> None:
    indicator = next(i for i in demo_setup.indicators if "RSD" in i.partners and "AAL" in i.partners)
    achieved = {}
    for p in ("RSD", "AAL"):
        entries = partner_entries(demo_setup, p, 1)
        row = next(r for r in entries.tables["Indicators"] if r["code"] == indicator.code)
        row["achieved"] = achieved[(p, 1)] = Decimal(2)
        returned(project, demo_setup, p, 1, entries)
    project.collect(now=P1_COLLECTED)
    project.generate_templates(2, ["RSD"], now=P2_MADE)
    entries = partner_entries(demo_setup, "RSD", 2)
    next(r for r in entries.tables["Indicators"] if r["code"] == indicator.code)["achieved"] = Decimal(5)
    returned(project, demo_setup, "RSD", 2, entries)
    project.collect(now=P2_COLLECTED)
    project.build(as_of=dt.date(2018, 5, 2), period=2)

    ws, line = indicator_lines(project.master)
    rsd = [ws.cell(line[(indicator.code, "RSD")], c).value for c in range(5, 10)]
    assert rsd[:4] == [float(indicator.target), 2, 5, 7]  # target, before, this period, cumulative
    assert rsd[4] == pytest.approx(7 / float(indicator.target), abs=1e-4)  # a fraction ...
    assert ws.cell(line[(indicator.code, "RSD")], 9).number_format == "0.0%"  # ... shown as a percentage
    aal = [ws.cell(line[(indicator.code, "AAL")], c).value for c in range(6, 9)]
    assert aal == [2, None, 2]  # no period-2 return yet: this period is blank, not 0
    total = line[(indicator.code, "All partners")]
    assert total == line[(indicator.code, indicator.partners[0])] - 1  # the project line heads its partners
    assert ws.cell(total, 5).value == float(indicator.target) * len(indicator.partners)
    assert [ws.cell(total, c).value for c in range(6, 9)] == [4, 5, 9]
    assert ws.cell(total, 1).font.bold


def deleted_row(path: Path, sheet: str, key: str) -> None:
    """Delete a table row as a partner does after unprotecting the sheet; the table's range shrinks with it."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    row = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == key)
    ws.delete_rows(row)
    table = ws.tables[sheet]
    first, last = table.ref.split(":")
    end = int("".join(ch for ch in last if ch.isdigit())) - 1
    table.ref = f"{first}:{''.join(ch for ch in last if ch.isalpha())}{end}"
    wb.save(path)


def test_a_deleted_prefilled_row_rejects_the_return_and_the_feedback_puts_it_back(project: Workspace, demo_setup: ProjectSetup) -> None:
    path = returned(project, demo_setup, "HOE", 1)
    deleted_row(path, "Deliverables", "D1.1")
    got = of(project.collect(now=P1_COLLECTED), "HOE")
    assert got.entry.status == "rejected"
    missing = [i for i in got.issues if i.code == "prefilled-row-missing"]
    assert [(i.severity, i.level, i.sheet, i.value) for i in missing] == [("error", "row", "Deliverables", "D1.1")]
    assert "D1.1" in missing[0].message and "Put the row for D1.1 back" in missing[0].hint
    feedback = openpyxl.load_workbook(project.root / got.entry.feedback)
    assert feedback["Deliverables"]["A5"].value == "D1.1"  # restored, and the issue list links to it
    links = [feedback["Feedback"].cell(r, 3).value for r in range(5, 5 + len(got.issues))]
    assert "Deliverables!A5" in links


def test_a_key_typed_over_is_a_missing_row_and_an_unexpected_one(project: Workspace, demo_setup: ProjectSetup) -> None:
    returned(project, demo_setup, "SHL", 1, overrides={("Deliverables", "A6"): "D9.9"})
    got = of(project.collect(now=P1_COLLECTED), "SHL")
    assert got.entry.status == "rejected"
    found = {(i.code, i.value, i.cell) for i in got.issues if i.code in ("prefilled-row-missing", "unexpected-row")}
    second = partner_entries(demo_setup, "SHL", 1).tables["Deliverables"][1]["code"]
    assert found == {("prefilled-row-missing", second, None), ("unexpected-row", "D9.9", "A6")}


def test_an_emptied_key_cell_is_reported_at_the_cell_and_as_a_missing_row(project: Workspace, demo_setup: ProjectSetup) -> None:
    returned(project, demo_setup, "RSD", 1, overrides={("Indicators", "A5"): None})
    got = of(project.collect(now=P1_COLLECTED), "RSD")
    first = partner_entries(demo_setup, "RSD", 1).tables["Indicators"][0]["code"]
    found = {(i.code, i.value, i.cell) for i in got.issues if i.sheet == "Indicators"}
    assert {("required", None, "A5"), ("prefilled-row-missing", first, None)} <= found
    assert got.entry.status == "rejected"
