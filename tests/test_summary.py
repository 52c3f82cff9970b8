"""The board summary: built from the master, its numbers equal the master's, printable and protected."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import copy_project
from conftest import sheet_values as grid
from typer.testing import CliRunner

from nc_excel.board.write import SHEETS, SummaryResult
from nc_excel.cli import app
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

AS_OF = dt.date(2017, 10, 15)


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory, period_1_built: Workspace) -> tuple[Workspace, SummaryResult]:
    """19 of 21 partners reported for period 1; the master was built (as of AS_OF), then the board summary written."""
    ws = copy_project(period_1_built, tmp_path_factory.mktemp("summary"))
    return ws, ws.summary(1)



def table(rows: list[list], first_header: str, second_header: str, after: str | None = None) -> list[dict]:
    """The table whose header row starts with ``first_header``, ``second_header`` (below the section ``after``)."""
    start = 0 if after is None else next(i for i, r in enumerate(rows) if r and r[0] == after)
    head = next(i for i in range(start, len(rows)) if rows[i][:2] == [first_header, second_header])
    header = rows[head]
    out = []
    for row in rows[head + 1:]:
        if not row or row[0] in ("", None) or row[0] == "Total":
            break
        out.append({h: v for h, v in zip(header, row) if h not in ("", None)})
    return out


def master_table(master: Path, sheet: str) -> list[dict]:
    rows = grid(master, sheet)
    return [dict(zip(rows[3], r)) for r in rows[4:] if any(v not in ("", None) for v in r)]


def dashboard(master: Path) -> dict:
    return {r[0]: r[1] for r in grid(master, "Dashboard") if r and r[0]}


def kpis(path: Path) -> dict[str, object]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for name, defined in wb.defined_names.items():
        if name.startswith("board_"):
            sheet, cell = next(iter(defined.destinations))
            out[name.removeprefix("board_")] = wb[sheet][cell.replace("$", "")].value
    return out


def money(value: object) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.01"))


def test_the_workbook_is_named_by_acronym_and_period(board) -> None:
    ws, result = board
    assert result.workbook == ws.root / "board" / "NC_board_P1.xlsx" and result.workbook.is_file()
    assert result.pdf is None and result.paths == [result.workbook]
    assert openpyxl.load_workbook(result.workbook).sheetnames == list(SHEETS)


def test_overview_figures_equal_the_master_dashboard(board) -> None:
    ws, result = board
    dash = dashboard(ws.master)
    k = kpis(result.workbook)
    assert k["returns_in"] == dash["Returns received"]
    assert k["flc_partners"] == dash["Partners certified by FLC"]
    assert money(k["flc_certified"]) == money(dash["FLC certified to date (EUR)"])
    assert money(k["spent"]) == money(dash["Spent so far (EUR)"])
    assert k["absorption"] == dash["Spending against budget %"]
    assert (k["deliverables_done"], k["deliverables_overdue"]) == (dash["Deliverables done"], dash["Deliverables overdue"])
    assert (k["places"], k["shortlisted"]) == (dash["Living-lab places proposed"], dash["Living-lab places shortlisted"])
    text = " ".join(str(v) for row in grid(result.workbook, "Overview") for v in row if v)
    assert dash["Project status"] in text and "Key messages" in text and "15 October 2017" in text
    assert "Scottish Enterprise (SCE)" in text and "Scotland" in text  # missing return, region without candidates


def test_finance_per_partner_and_category_equals_the_master(board) -> None:
    ws, result = board
    board_rows = {r["Partner"]: r for r in table(grid(result.workbook, "Finance"), "Partner", "Name")}
    *master_rows, project = master_table(ws.master, "Finance position")  # the master's last row adds up the partners
    assert project["Partner"] == "Project" and list(board_rows) == [r["Partner"] for r in master_rows]
    for m in master_rows:
        b = board_rows[m["Partner"]]
        assert money(b["Declared in period (EUR)"]) == money(m["Declared in period (EUR)"])
        assert money(b["Spent so far (EUR)"]) == money(m["Cumulative (EUR)"])
        assert money(b["Certified to date (EUR)"]) == money(m["Certified to date (EUR)"])
        assert b["Absorption %"] == m["Absorption %"] and b["FLC status"] == m["FLC status"] and b["Ready"] == m["Ready"]
    declared = sum(money(r["Declared in period (EUR)"]) for r in master_rows)
    total = next(r for r in grid(result.workbook, "Finance") if r and r[0] == "Total")
    assert money(total[4]) == declared == money(project["Declared in period (EUR)"]) == money(dashboard(ws.master)["Declared this period (EUR)"])
    lines = master_table(ws.master, "Budget lines")
    categories = table(grid(result.workbook, "Finance"), "Cost category", "", after="Per cost category")  # the label spans three columns
    assert len(categories) == 6
    for c in categories:
        mine = [r for r in lines if r["Cost category"] == c["Cost category"]]
        assert money(c["Budget (EUR)"]) == sum(money(r["Budget (EUR)"]) for r in mine)
        assert money(c["Spent so far (EUR)"]) == sum(money(r["Cumulative (EUR)"]) for r in mine)
    rows = grid(result.workbook, "Finance")
    after = next(i for i, r in enumerate(rows) if r and r[0] == "Per cost category")
    category_total = next(r for r in rows[after:] if r and r[0] == "Total")
    project_line = lines[-1]  # the master's budget lines end with the project's total
    assert project_line["Partner"] == "Project"
    assert money(category_total[5]) == money(project_line["Cumulative (EUR)"]) == sum(money(c["Spent so far (EUR)"]) for c in categories)


def test_living_labs_shortlist_equals_the_master(board) -> None:
    ws, result = board
    rows = grid(result.workbook, "Living Labs")
    short = table(rows, "Region", "Rank")
    master = master_table(ws.master, "Shortlist")
    assert [(r["Region"], r["Place"], r["Score"]) for r in short] == [(r["Region"], r["Place"], r["Score"]) for r in master]
    regions = table(rows, "Region", "Candidates")
    assert {r["Region"]: r["Shortlisted"] for r in regions} == {r["Region"]: r["Shortlisted"] for r in master_table(ws.master, "Shortlist by region")}


def test_schedule_statuses_equal_the_master(board) -> None:
    ws, result = board
    rows = grid(result.workbook, "Schedule")
    timeline = {r[0]: r[2] for r in rows if r and re.fullmatch(r"(WP|D)\d+(\.\d+)?", str(r[0]))}
    master = {r["Deliverable"]: r["Status"] for r in master_table(ws.master, "Schedule")}
    master |= {r["Work package"]: r["Status"] for r in master_table(ws.master, "Work package status")}
    assert timeline == master
    assert "\u2713" in {v for r in rows for v in r}  # done deliverables are marked in the month timeline


def test_every_sheet_is_protected_printable_and_free_of_formulas(board) -> None:
    _, result = board
    wb = openpyxl.load_workbook(result.workbook)
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"], ws.title
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1), ws.title  # 1 is the default, left out
        assert ws.print_area, ws.title
        assert "period 1" in ws.oddHeader.left.text and "Page &P of &N" in ws.oddFooter.right.text, ws.title
    assert wb["Overview"].page_setup.fitToHeight in (None, 1)  # exactly one page (1 is the default)
    assert all(ws.page_setup.fitToHeight == 0 for ws in wb.worksheets[1:])  # the others: as many pages as needed
    with zipfile.ZipFile(result.workbook) as z:
        names = z.namelist()
    assert not [n for n in names if "externalLink" in n]


def test_charts_have_titles_and_axis_names(board) -> None:
    _, result = board
    with zipfile.ZipFile(result.workbook) as z:
        charts = {n: z.read(n).decode() for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)}
    assert len(charts) >= 3
    titles = []
    for xml in charts.values():
        assert "<c:title>" in xml
        titles.append(re.search(r"<c:title>.*?<a:t>(.*?)</a:t>", xml, re.S).group(1))
    assert any("per partner" in t for t in titles) and any("cost category" in t for t in titles) and any("per region" in t for t in titles)


def test_every_chart_has_alternative_text_for_screen_readers(board) -> None:
    """The drawing of each chart carries a description (what a screen reader says), naming what the chart shows."""
    _, result = board
    with zipfile.ZipFile(result.workbook) as z:
        drawings = [z.read(n).decode() for n in z.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)]
    frames = [frame for xml in drawings for frame in re.findall(r"<xdr:graphicFrame.*?</xdr:graphicFrame>", xml, re.DOTALL)]
    assert len(frames) >= 3
    descriptions = [re.search(r'<xdr:cNvPr [^>]*descr="([^"]*)"', frame).group(1) for frame in frames]
    assert all(len(d) > 40 for d in descriptions), descriptions
    assert any(d.startswith("Column chart: each partner") for d in descriptions)
    assert any("per region" in d for d in descriptions)


def test_the_same_master_gives_the_same_workbook(board, tmp_path: Path) -> None:
    ws, result = board
    project = Workspace(Path(shutil.copytree(ws.root, tmp_path / "project")))
    again = project.summary(1)
    assert again.workbook.read_bytes() == result.workbook.read_bytes()
    assert openpyxl.load_workbook(again.workbook).properties.created.date() == AS_OF


def test_period_mismatch_and_missing_build_exit_2(board, tmp_path: Path, demo_setup: ProjectSetup) -> None:
    ws, _ = board
    run = CliRunner().invoke(app, ["summary", "--project", str(ws.root), "--period", "2"])
    assert run.exit_code == 2 and "nc-excel build --period 2" in " ".join(run.output.split())
    fresh = Workspace.create(tmp_path / "fresh", demo_setup)
    run = CliRunner().invoke(app, ["summary", "--project", str(fresh.root), "--period", "1"])
    assert run.exit_code == 2 and "has not been built" in " ".join(run.output.split())
    assert not list((fresh.root / "board").iterdir())


def test_without_libreoffice_the_workbook_is_written_and_the_pdf_explained(board, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, _ = board
    project = Path(shutil.copytree(ws.root, tmp_path / "project"))
    monkeypatch.setenv("NC_SOFFICE", str(tmp_path / "no-soffice"))
    run = CliRunner().invoke(app, ["summary", "--project", str(project), "--period", "1", "--pdf"])
    assert run.exit_code == 2 and "libreoffice-calc-nogui" in " ".join(run.output.split())
    assert (project / "board" / "NC_board_P1.xlsx").is_file() and not (project / "board" / "NC_board_P1.pdf").exists()


def test_pdf_with_libreoffice_starts_with_the_overview(board, tmp_path: Path) -> None:
    from lo.lo import require_soffice

    require_soffice()
    ws, _ = board
    project = Path(shutil.copytree(ws.root, tmp_path / "project"))
    run = CliRunner().invoke(app, ["summary", "--project", str(project), "--period", "1", "--pdf"])
    assert run.exit_code == 0, run.output
    pdf = project / "board" / "NC_board_P1.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    assert 5 <= pages <= 10, pages  # the Finance pages end with the spending curve; Risks lists every partner whose latest return has problems
    if shutil.which("pdftotext"):
        first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "board summary" in first and "Key messages" in first and "Page 1 of" in first
        second = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Key messages" not in second  # the Overview is one page
