"""A partnership of its own: a blank project, countries and lists of its choosing, no living labs.

Baltic Bridges (BB) has five partners in Finland, Poland and Estonia and no living labs.
It goes through the whole cycle with the commands a coordinator runs, on real files:
returns filled in by ``partner.simulate`` from the real templates.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import sheet_values
from test_cli import nc_excel

from nc_excel.excel.read import read_frame
from nc_excel.master.schema import PROGRESS, RETURNS, Sheet
from nc_excel.partner.schema import LIVING_LABS, template_name
from nc_excel.partner.simulate import fill_workbook, partner_entries
from nc_excel.setup.blank import blank_setup
from nc_excel.setup.models import Partner, Period, ProjectSetup, Region, WorkPackage
from nc_excel.workspace import Workspace

D = dt.date
BUDGET = {"staff": Decimal(40_000), "office": Decimal(6_000), "travel": Decimal(5_000), "external": Decimal(9_000), "equipment": Decimal(0), "infrastructure": Decimal(0)}
PARTNERS = (("HEL", "Helsingin kaupunki", "FI", "FI1"), ("TUR", "Turku Science Park", "FI", "FI1"), ("WAW", "Miasto Stołeczne Warszawa", "PL", "PL9"),
            ("GDA", "Gdańsk University of Technology", "PL", "PL6"), ("TAL", "Tallinna Linnavalitsus", "EE", "EE0"))


def own_setup() -> ProjectSetup:
    """The blank project as its coordinator filled it in: five partners, two periods, no living labs."""
    base = blank_setup(template_key="bb-key", today=D(2024, 12, 10))  # runs 1 Jan 2025 to 31 Dec 2027
    codes = [code for code, *_ in PARTNERS]
    return base.model_copy(update={
        "project": base.project.model_copy(update={"name": "Baltic Bridges", "acronym": "BB", "total_budget": Decimal(300_000), "erdf": Decimal(150_000), "currency": "EUR"}),
        "regions": [Region(code="FI1", name="Helsinki-Uusimaa", country="FI"), Region(code="PL9", name="Mazowieckie", country="PL"),
                    Region(code="PL6", name="Pomorskie", country="PL"), Region(code="EE0", name="Eesti", country="EE")],
        "partners": [Partner(number=i + 1, code=code, name=name, short_name=code.title(), country=country, region=region, type="University" if i == 3 else "Local authority",
                             role="Lead partner" if i == 0 else "Partner", **{f"budget_{k}": v for k, v in BUDGET.items()},
                             contact=f"Contact {code}", email=f"{code.lower()}@example.eu")
                     for i, (code, name, country, region) in enumerate(PARTNERS)],
        "work_packages": [WorkPackage(code="WP1", title="Project management", lead="HEL", start=D(2025, 1, 1), end=D(2027, 12, 31), partners=codes)],
        "deliverables": [base.deliverables[0].model_copy(update={"responsible": "HEL"})],
        "indicators": [base.indicators[0].model_copy(update={"partners": codes})],
        "periods": [Period(number=1, start=D(2025, 1, 1), end=D(2025, 6, 30), partner_deadline=D(2025, 7, 31), flc_deadline=D(2025, 9, 15)),
                    Period(number=2, start=D(2025, 7, 1), end=D(2025, 12, 31), partner_deadline=D(2026, 1, 31), flc_deadline=D(2026, 3, 15))],
        "criteria": [],
    })


def send_returns(ws: Workspace, setup: ProjectSetup, period: int, partners: list[str]) -> None:
    for code in partners:
        fill_workbook(ws.outbox(period) / template_name(setup, period, code), ws.inbox / f"{code}_P{period}.xlsx",
                      partner_entries(setup, code, period), setup)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, ProjectSetup]:
    setup = own_setup()
    return Workspace.create(tmp_path_factory.mktemp("bb") / "project", setup), setup


def test_init_blank_makes_an_empty_project_to_fill_in(tmp_path: Path) -> None:
    run = nc_excel("init", tmp_path / "ours", "--blank")
    assert run.returncode == 0, run.stderr
    master = tmp_path / "ours" / "master.xlsx"
    wb = openpyxl.load_workbook(master)
    assert wb.sheetnames[0] == "Instructions"
    for sheet in ("Regions", "Partners", "Work packages", "Deliverables", "Indicators", "Periods", "Criteria"):
        assert wb[sheet].max_row == 5, sheet  # title, intro, the required marks, header, one example row
    assert wb["Partners"]["B3"].value == "required" and wb["Partners"]["R3"].value is None  # Code is required, the contact is not
    setup = Workspace.open(tmp_path / "ours").setup()
    assert not setup.project.living_labs
    assert {"FI", "PL", "EE", "UK", "CH", "NO"} <= set(setup.lists()["countries"])
    assert {"EUR", "PLN", "SEK"} <= set(setup.lists()["currencies"])
    assert "Your project name" in str(sheet_values(master, "Settings")[1][0])


def test_five_partners_in_finland_poland_and_estonia_without_living_labs(project: tuple[Workspace, ProjectSetup]) -> None:
    ws, setup = project
    made = nc_excel("templates", "--period", "1", "--project", ws.root, "--json")
    assert made.returncode == 0, made.stderr
    assert len(json.loads(made.stdout)["written"]) == 5
    template = openpyxl.load_workbook(ws.outbox(1) / template_name(setup, 1, "WAW"))
    assert LIVING_LABS.sheet not in template.sheetnames

    send_returns(ws, setup, 1, ["HEL", "TUR", "WAW", "GDA", "TAL"])
    collected = nc_excel("collect", "--project", ws.root)
    assert collected.returncode == 0, collected.stdout + collected.stderr

    built = nc_excel("build", "--project", ws.root, "--as-of", "2025-08-15")
    assert built.returncode == 0, built.stderr
    assert "for period 1" in built.stdout and "Living labs" not in built.stdout
    names = openpyxl.load_workbook(ws.master, read_only=True).sheetnames
    assert "Living Labs" not in names and "Shortlist" not in names and "Criteria" in names

    summary = nc_excel("summary", "--project", ws.root)
    assert summary.returncode == 0, summary.stderr
    board = openpyxl.load_workbook(ws.board / "BB_board_P1.xlsx")
    assert "Living Labs" not in board.sheetnames
    overview = sheet_values(ws.board / "BB_board_P1.xlsx", "Overview")
    assert not any("Living labs" in str(v) for row in overview for v in row)
    assert any("Baltic Bridges" in str(v) for row in overview for v in row)

    report = nc_excel("report", "--project", ws.root, "--json")
    assert report.returncode == 0, report.stderr
    progress_report = Path(json.loads(report.stdout)["workbook"])
    assert progress_report.name == "BB_progress_P1.xlsx"
    sheets = openpyxl.load_workbook(progress_report, read_only=True).sheetnames
    assert "Progress texts" in sheets and not any("living lab" in name.lower() for name in sheets)
    texts = sheet_values(progress_report, "Progress texts")
    assert {code for code, *_ in PARTNERS} <= {str(v) for row in texts for v in row}  # every partner's paragraph, under its code

    rebuilt = json.loads(nc_excel("build", "--project", ws.root, "--as-of", "2025-08-15", "--json").stdout)
    assert rebuilt["period"] == 1 and rebuilt["partners_reported"] == 5 and "living_labs" not in rebuilt
    again = json.loads(nc_excel("summary", "--project", ws.root, "--json").stdout)
    assert again["workbook"] == str(ws.board / "BB_board_P1.xlsx") and again["period"] == 1


def master_rows(ws: Workspace, sheet: Sheet) -> pd.DataFrame:
    return read_frame(sheet_values(ws.master, sheet.name), sheet.model)


def reported(ws: Workspace) -> set[tuple[str, int]]:
    """(partner, period) of every return merged into the master's Progress sheet."""
    return {(r.partner, int(r.period)) for r in master_rows(ws, PROGRESS).itertuples()}


def test_a_withdrawn_return_leaves_the_master_and_comes_back_when_reopened(tmp_path: Path) -> None:
    setup = own_setup()
    ws = Workspace.create(tmp_path / "project", setup)
    for period, sent, received in ((1, dt.datetime(2025, 6, 20, 9), dt.datetime(2025, 7, 20, 9)), (2, dt.datetime(2025, 12, 20, 9), dt.datetime(2026, 1, 20, 9))):
        ws.generate_templates(period, now=sent)
        send_returns(ws, setup, period, ["HEL", "WAW", "TAL"])
        ws.collect(now=received)
    ws.build(as_of=D(2026, 1, 20))
    assert {("WAW", 1), ("WAW", 2)} <= reported(ws)

    withdrawn = nc_excel("returns", "withdraw", "--partner", "waw", "--period", "1", "--why", "wrong file accepted", "--project", ws.root)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "no longer counts" in withdrawn.stdout and f"nc-excel build --project {ws.root}" in withdrawn.stdout
    entry = next(e for e in ws.returns("WAW", 1))
    assert entry.archived and (ws.root / entry.archived).is_file()  # nothing deleted
    ws.build(as_of=D(2026, 1, 20))
    assert ("WAW", 1) not in reported(ws) and ("WAW", 2) in reported(ws)
    returns = master_rows(ws, RETURNS)
    row = returns[(returns["partner"] == "WAW") & (returns["period"] == 1)].iloc[0]
    assert row["status"] == "withdrawn" and row["decision"].startswith("Withdrawn ") and row["decision"].endswith(": wrong file accepted")
    listed = json.loads(nc_excel("returns", "list", "--partner", "WAW", "--json", "--project", ws.root).stdout)["returns"]
    assert [(r["period"], r["counts"], r["withdrawn"]) for r in listed] == [(1, False, True), (2, True, False)]
    assert nc_excel("returns", "withdraw", "--partner", "WAW", "--period", "1", "--project", ws.root).returncode == 2  # nothing left to withdraw
    assert ws.generate_templates(1, ["WAW"], now=dt.datetime(2026, 1, 21, 9))  # no --force needed: the return no longer counts

    reopened = nc_excel("returns", "reopen", "--partner", "WAW", "--period", "1", "--why", "it was the right file", "--project", ws.root)
    assert reopened.returncode == 0, reopened.stderr
    ws.build(as_of=D(2026, 1, 20))
    assert {("WAW", 1), ("WAW", 2), ("HEL", 1), ("TAL", 2)} <= reported(ws)
    register = (ws.root / "archive" / "register.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["event"] for line in register if line.startswith('{"event"')] == ["withdrawn", "reopened"]


def test_setup_warnings_are_printed_on_a_clean_run_and_strict_makes_them_errors(tmp_path: Path) -> None:
    setup = own_setup()
    ws = Workspace.create(tmp_path / "project", setup.model_copy(update={"project": setup.project.model_copy(update={"total_budget": Decimal(2_500_000)})}))
    run = nc_excel("templates", "--period", "1", "--project", ws.root)
    assert run.returncode == 0, run.stderr
    assert "setup-budget-total" in run.stderr and "300,000.00" in run.stderr and "2,500,000.00" in run.stderr
    strict = nc_excel("templates", "--period", "1", "--force", "--strict", "--project", ws.root)
    assert strict.returncode == 2 and "setup-budget-total" in strict.stderr


def test_the_add_in_is_built_for_the_project_and_never_into_the_current_folder(project: tuple[Workspace, ProjectSetup], tmp_path: Path) -> None:
    ws, _ = project
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    built = nc_excel("addin", "build", "--project", ws.root, cwd=elsewhere)
    assert built.returncode == 0, built.stderr
    xlam = ws.root / "addin" / "NorthernConnections.xlam"
    with zipfile.ZipFile(xlam) as package:
        assert b'<tab id="ncTab" label="BB reporting">' in package.read("customUI/customUI14.xml")
    installed = nc_excel("addin", "install", "--project", ws.root, cwd=elsewhere)
    if sys.platform not in ("win32", "darwin"):
        assert installed.returncode == 2 and "not installed" in installed.stderr
    assert list(elsewhere.iterdir()) == []
