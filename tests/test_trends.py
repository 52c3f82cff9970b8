"""The project's history across periods: the master's History sheet and the board's spending curve and problem list.

Two reporting periods are played with real templates and simulated partners: in
period 1 everyone reports; in period 2 one partner's first return is rejected and
corrected, one sends a return with the region of every living lab left empty
(rejected, never corrected), one does not send anything.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import copy_project
from conftest import sheet_values as grid
from test_collect import make_return
from typer.testing import CliRunner

from nc_excel.cli import app
from nc_excel.master.schema import HISTORY
from nc_excel.partner.schema import FLC_FORM, SUBMISSION_FORM
from nc_excel.partner.simulate import partner_entries
from nc_excel.setup.currency import rate_of, to_eur
from nc_excel.setup.models import ProjectSetup, flat_rate
from nc_excel.workspace import Workspace

SHEET_CELL = re.compile(r"(?:'[^']+'|\b[A-Za-z][\w ]*?)!\$?[A-Z]{1,3}\$?\d+\b")
"""A spreadsheet reference such as Finance!D7, 'Living Labs'!A5 or Progress!$C$5."""


def board_texts(path: Path) -> list[str]:
    """Every text cell of a board workbook."""
    wb = openpyxl.load_workbook(path)
    return [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


@pytest.fixture(scope="module")
def two_periods(tmp_path_factory: pytest.TempPathFactory, demo_project: Workspace, demo_setup: ProjectSetup) -> dict:
    ws = copy_project(demo_project, tmp_path_factory.mktemp("history"))  # the period-1 templates sent
    partners = [p.code for p in demo_setup.partners]
    corrected, careless, silent = partners[-3], partners[-2], partners[-1]
    for code in partners:
        make_return(ws, demo_setup, code, f"{code}_P1.xlsx")
    ws.collect(now=dt.datetime(2017, 10, 12, 9))
    ws.generate_templates(2, now=dt.datetime(2018, 4, 20, 9))
    for code in partners[:-3]:
        make_return(ws, demo_setup, code, f"{code}_P2.xlsx", period=2)
    make_return(ws, demo_setup, corrected, f"{corrected}_P2.xlsx", period=2, overrides={("Progress", "C5"): "Done", ("Progress", "D5"): 85})
    labs = len(partner_entries(demo_setup, careless, 2).tables["LivingLabs"])
    no_region = {("Living Labs", f"C{5 + n}"): None for n in range(labs)}  # the region of every place proposed, cleared
    make_return(ws, demo_setup, careless, f"{careless}_P2.xlsx", period=2, overrides=no_region)
    ws.collect(now=dt.datetime(2018, 5, 20, 9))
    make_return(ws, demo_setup, corrected, f"{corrected}_P2_corrected.xlsx", period=2)
    ws.collect(now=dt.datetime(2018, 5, 25, 9))
    ws.build(as_of=dt.date(2018, 5, 28), period=2)
    return {"ws": ws, "board": ws.summary(2).workbook, "corrected": corrected, "careless": careless, "silent": silent, "labs": labs}


def history_rows(master: Path) -> list[dict]:
    rows = grid(master, HISTORY.name)
    return [dict(zip(rows[3], r)) for r in rows[4:] if r and r[0] not in ("", None)]


def declared_in_finance_sheets(setup: ProjectSetup, partners: list[str], period: int) -> Decimal:
    """What the partners typed into their Finance sheets, with office costs computed as the template's formula does,
    in euros: each line at the rate of the partner's month of submission (the demo's partners declare in their own currencies)."""
    total = Decimal(0)
    for code in partners:
        entries = partner_entries(setup, code, period)
        amounts = {row["category"]: row["declared"] for row in entries.tables["Finance"]}
        amounts["Office and administration"] = flat_rate(amounts["Staff costs"], setup.project.office_flat_rate)
        rate = rate_of(setup.rates, setup.partner(code).currency, entries.forms[SUBMISSION_FORM]["submitted_on"])
        total += sum(to_eur(v, rate) for v in amounts.values())
    return total


def test_history_has_one_row_per_period_with_the_declared_sums(two_periods, demo_setup: ProjectSetup) -> None:
    ws = two_periods["ws"]
    rows = history_rows(ws.master)
    assert [r["Period"] for r in rows] == [1, 2]
    everyone = [p.code for p in demo_setup.partners]
    accepted_p2 = [c for c in everyone if c not in (two_periods["careless"], two_periods["silent"])]
    p1, p2 = declared_in_finance_sheets(demo_setup, everyone, 1), declared_in_finance_sheets(demo_setup, accepted_p2, 2)
    assert Decimal(str(rows[0]["Declared in period (EUR)"])).quantize(Decimal("0.01")) == p1
    assert Decimal(str(rows[1]["Declared in period (EUR)"])).quantize(Decimal("0.01")) == p2
    assert Decimal(str(rows[1]["Declared cumulative (EUR)"])).quantize(Decimal("0.01")) == p1 + p2
    assert rows[0]["Accepted"] == 21 and rows[1]["Accepted"] == 19 and rows[1]["Missing"] == 2
    assert f"{two_periods['silent']} (missing)" in rows[1]["Late or missing"]
    dashboard = {r[0]: r[1] for r in grid(ws.master, "Dashboard") if r and r[0]}
    assert rows[1]["Declared cumulative (EUR)"] == pytest.approx(dashboard["Spent so far (EUR)"])


def test_history_certified_and_plan(two_periods, demo_setup: ProjectSetup) -> None:
    """Certified: the FLC forms the partners filled in; plan: the budget spread evenly over the 42 project months."""
    rows = history_rows(two_periods["ws"].master)
    everyone = [p.code for p in demo_setup.partners]
    accepted = {1: everyone, 2: [c for c in everyone if c not in (two_periods["careless"], two_periods["silent"])]}
    def certified_eur(code: str, period: int) -> Decimal:  # what the controller certified, in the partner's currency, in euros
        entries = partner_entries(demo_setup, code, period)
        flc, day = entries.forms[FLC_FORM], entries.forms[SUBMISSION_FORM]["submitted_on"]
        rate = rate_of(demo_setup.rates, demo_setup.partner(code).currency, day)
        return to_eur(flc["certified"], rate) if flc["flc_status"] == "Certified" else Decimal(0)

    certified = {n: sum(certified_eur(c, n) for c in codes) for n, codes in accepted.items()}
    assert rows[0]["Certified in period (EUR)"] == pytest.approx(float(certified[1]))
    assert rows[1]["Certified cumulative (EUR)"] == pytest.approx(float(certified[1] + certified[2]))
    budget = float(sum(p.total_budget for p in demo_setup.partners))
    assert rows[0]["Planned by period end (EUR)"] == pytest.approx(budget * 12 / 42, abs=0.01)  # Nov 2016 to Oct 2017
    assert rows[1]["Planned by period end (EUR)"] == pytest.approx(budget * 18 / 42, abs=0.01)  # to Apr 2018
    assert rows[1]["Deliverables due"] == sum(1 for d in demo_setup.deliverables if d.due <= dt.date(2018, 4, 30))


def test_spending_share_is_a_fraction_shown_as_a_percentage(two_periods, demo_setup: ProjectSetup) -> None:
    sheet = openpyxl.load_workbook(two_periods["ws"].master)[HISTORY.name]
    header = [c.value for c in sheet[4]]
    share, cumulative = header.index("Spent / budget") + 1, header.index("Declared cumulative (EUR)") + 1
    budget = sum(p.total_budget for p in demo_setup.partners)
    for row in (5, 6):
        cell = sheet.cell(row, share)
        assert 0 < cell.value < 1 and cell.number_format == "0.0%"
        assert cell.value == pytest.approx(sheet.cell(row, cumulative).value / float(budget), abs=0.0005)
    assert sheet.freeze_panes == "B5" and sheet.print_title_rows == "$4:$4"


def test_board_shows_the_spending_curve_against_the_plan(two_periods) -> None:
    with zipfile.ZipFile(two_periods["board"]) as z:
        charts = [z.read(n).decode() for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    [curve] = [c for c in charts if "<c:lineChart>" in c and "against the plan" in c]
    series = re.findall(r"<c:ser>.*?</c:ser>", curve, re.DOTALL)
    assert len(series) == 3
    names = [re.search(r"<c:tx>.*?<c:v>(.*?)</c:v>", s, re.DOTALL).group(1) for s in series]
    assert names == ["Declared (cumulative)", "Certified by FLC (cumulative)", "Plan"]
    points = [re.search(r"<c:val>.*?<c:ptCount val=\"(\d+)\"", s, re.DOTALL).group(1) for s in series]
    assert points == ["3", "3", "3"]  # the project's start, P1 and P2
    assert "<c:valAx>" in curve and "Cumulative amount" in curve and "Reporting period" in curve


def test_board_names_each_partner_once_in_plain_words(two_periods) -> None:
    texts = board_texts(two_periods["board"])
    careless = [t for t in texts if t.startswith("Return rejected")]
    assert careless == [f"Return rejected, {two_periods['labs']} errors to correct (see the feedback workbook)."]
    assert not [t for t in texts if "Region is empty" in t]
    assert not [t for t in texts if SHEET_CELL.search(t)]


def test_issues_sheet_keeps_only_the_latest_submission(two_periods) -> None:
    rows = grid(two_periods["ws"].master, "Issues")
    issues = [dict(zip(rows[3], r)) for r in rows[4:] if r and r[0]]
    errors = {(i["Partner"], i["Period"]) for i in issues if i["Severity"] == "error"}
    assert errors == {(two_periods["careless"], 2)}  # the corrected return closed the rejected one
    careless = [i for i in issues if i["Partner"] == two_periods["careless"] and i["Severity"] == "error"]
    assert len(careless) == two_periods["labs"] and {i["Sheet"] for i in careless} == {"Living Labs"}


def test_a_history_that_disagrees_with_the_dashboard_stops_the_board(two_periods, tmp_path: Path) -> None:
    project = Workspace(Path(shutil.copytree(two_periods["ws"].root, tmp_path / "project")))
    wb = openpyxl.load_workbook(project.master)
    sheet = wb[HISTORY.name]
    column = [c.value for c in sheet[4]].index("Declared cumulative (EUR)") + 1
    sheet.cell(6, column).value += 1000
    wb.save(project.master)
    run = CliRunner().invoke(app, ["summary", "--project", str(project.root), "--period", "2"])
    assert run.exit_code == 2 and "History sheet's cumulative spending for period 2" in " ".join(run.output.split())
