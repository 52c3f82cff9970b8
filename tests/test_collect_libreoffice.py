"""Returns filled in by a real spreadsheet application (LibreOffice), saved as .xlsx,
.ods and .xls, go through collect with exactly the values typed; feedback workbooks
open cleanly in LibreOffice."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import GENERATED_AT
from lo.lo import convert, fill_with_libreoffice, require_soffice

from nc_excel.excel.parse import ErrorValue
from nc_excel.intake.sniff import _ErrorCells, _OdsExtent
from nc_excel.intake.workers import open_file
from nc_excel.partner.simulate import fill_workbook, partner_entries, save
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

NOW = dt.datetime(2017, 10, 16, 9, 0)

def typed(setup: ProjectSetup, partner: str = "HOE") -> list[dict]:
    """What the partner types into its period-1 template: every required input, some with a twist."""
    n_wp = sum(1 for w in setup.work_packages if partner in w.partners)
    wps = {w.code for w in setup.work_packages if partner in w.partners}
    n_del = sum(1 for d in setup.deliverables if d.work_package in wps)
    n_ind = sum(1 for i in setup.indicators if partner in i.partners)
    rows = range(5, 5 + n_wp)
    return [
        *[{"sheet": "Progress", "cell": f"C{r}", "value": "In progress", "type": "text"} for r in rows],
        *[{"sheet": "Progress", "cell": f"D{r}", "value": 40 + r, "type": "number"} for r in rows],
        *[{"sheet": "Progress", "cell": f"E{r}", "value": f"Workshops held, round {r}", "type": "text"} for r in rows],
        {"sheet": "Progress", "cell": "F5", "value": '=HYPERLINK("http://example.org","see")', "type": "text"},
        *[{"sheet": "Deliverables", "cell": f"F{r}", "value": "In progress", "type": "text"} for r in range(5, 5 + n_del)],
        {"sheet": "Deliverables", "cell": "G5", "value": "2017-02-20", "type": "date"},
        *[{"sheet": "Indicators", "cell": f"F{r}", "value": 1, "type": "number"} for r in range(5, 5 + n_ind)],
        {"sheet": "Finance", "cell": "D5", "value": 10001.30, "type": "number"},
        *[{"sheet": "Finance", "cell": f"D{r}", "value": 0, "type": "number"} for r in range(7, 11)],
        {"sheet": "Start", "cell": "B21", "value": "Henrik Jensen", "type": "text"},
        {"sheet": "Start", "cell": "B22", "value": "hj@houseofenergy.dk", "type": "text"},
        {"sheet": "Start", "cell": "B24", "value": "2017-10-12", "type": "date"},
        {"sheet": "Start", "cell": "B25", "value": "Yes", "type": "text"},
    ]


@pytest.fixture(scope="module")
def lo_returns(tmp_path_factory: pytest.TempPathFactory, demo_setup: ProjectSetup) -> tuple[Workspace, list[Path]]:
    require_soffice()
    root = tmp_path_factory.mktemp("lo") / "project"
    ws = Workspace.create(root, demo_setup)
    [template] = ws.generate_templates(1, ["HOE"], now=GENERATED_AT)
    outputs = [root / "lo" / "HOE.xlsx", root / "lo" / "HOE.ods", root / "lo" / "HOE.xls"]
    fill_with_libreoffice(template, typed(demo_setup), outputs)
    return ws, outputs


@pytest.mark.parametrize("index, fmt", [(0, "xlsx"), (1, "ods"), (2, "xls")])
def test_collect_reads_exactly_what_was_typed(lo_returns, tmp_path: Path, demo_setup: ProjectSetup, index: int, fmt: str) -> None:
    base, files = lo_returns
    ws = Workspace.create(tmp_path / "project", demo_setup)
    shutil.copy(files[index], ws.root / "inbox" / files[index].name)
    result = ws.collect(now=NOW)
    [c] = result.collected
    assert c.entry.accepted, [(i.code, i.sheet, i.cell, i.message) for i in c.issues]
    assert c.entry.archived.endswith(f".{fmt}")
    ret = c.ret
    progress = ret.rows("Progress")
    assert [r["percent_complete"] for r in progress] == [45 + i for i in range(len(progress))]
    assert progress[0]["problems"] == '=HYPERLINK("http://example.org","see")'
    assert ret.rows("Deliverables")[0]["date"] == dt.date(2017, 2, 20)
    finance = ret.rows("Finance")
    assert finance[0]["declared"] == Decimal("10001.3")
    assert finance[1]["declared"] == Decimal("1500.19")  # LibreOffice's ROUNDDOWN of the flat rate
    assert ret.form("Submission")["contact_email"] == "hj@houseofenergy.dk"
    assert ret.form("Submission")["confirm"] is True


def test_feedback_workbooks_open_in_libreoffice(lo_returns, tmp_path: Path, demo_setup: ProjectSetup) -> None:
    _, files = lo_returns
    ws = Workspace.create(tmp_path / "project", demo_setup)
    shutil.copy(files[0], ws.root / "inbox" / "HOE.xlsx")
    ws.generate_templates(1, ["AAL"], now=GENERATED_AT)
    broken = ws.root / "inbox" / "AAL.xlsx"
    shutil.copy(ws.outbox(1) / "NC_P1_AAL.xlsx", broken)  # an empty template sent back: every required input flagged
    result = ws.collect(now=NOW)
    feedback = [ws.root / c.entry.feedback for c in result.collected if c.entry.feedback]
    assert feedback
    pdfs = convert(feedback, "pdf", tmp_path / "pdf")
    assert len(pdfs) == len(feedback) and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)


@pytest.fixture(scope="module")
def error_returns(tmp_path_factory: pytest.TempPathFactory, demo_setup: ProjectSetup) -> list[Path]:
    """HOE's return filled in, with =1/0 as staff costs and =NA() as travel, computed and saved by LibreOffice."""
    require_soffice()
    root = tmp_path_factory.mktemp("errors") / "project"
    ws = Workspace.create(root, demo_setup)
    [template] = ws.generate_templates(1, ["HOE"], now=GENERATED_AT)
    filled = fill_workbook(template, root / "filled.xlsx", partner_entries(demo_setup, "HOE", 1), demo_setup)
    wb = openpyxl.load_workbook(filled)
    wb["Finance"]["D5"] = "=1/0"
    wb["Finance"]["D7"] = "=NA()"
    save(wb, filled)
    outputs = [root / "lo" / "HOE.xlsx", root / "lo" / "HOE.ods"]
    fill_with_libreoffice(filled, [], outputs)
    return outputs


@pytest.mark.parametrize("index", [0, 1], ids=["xlsx", "ods"])
def test_an_error_value_is_reported_at_its_cell(error_returns, tmp_path: Path, demo_setup: ProjectSetup, index: int) -> None:
    opened = open_file(error_returns[index])
    finance = opened.sheets["Finance"]
    assert finance[4][3] == "#DIV/0!" and isinstance(finance[4][3], ErrorValue)  # D5: not the "" calamine gives
    assert finance[6][3] == "#N/A" and isinstance(finance[6][3], ErrorValue)
    ws = Workspace.create(tmp_path / "project", demo_setup)
    shutil.copy(error_returns[index], ws.root / "inbox" / error_returns[index].name)
    [c] = ws.collect(now=NOW).collected
    assert not c.entry.accepted
    found = {(i.code, i.sheet, i.cell): i for i in c.issues}
    assert found[("error-value", "Finance", "D5")].value == "#DIV/0!"
    assert "#DIV/0!" in found[("error-value", "Finance", "D5")].message
    assert found[("error-value", "Finance", "D7")].value == "#N/A"
    assert ("required", "Finance", "D5") not in found and ("required", "Finance", "D7") not in found
    # the row's Cumulative, Remaining and % show the error only because of D5: not reported again
    assert not {cell for code, sheet, cell in found if code == "error-value" and cell and cell[0] in "EFG"}


def _chunked(data: bytes, size: int):
    return (data[i:i + size] for i in range(0, len(data), size))


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 20])
def test_error_cells_are_found_whatever_the_chunks(error_returns, size: int) -> None:
    """The scanners see a part in chunks: an error cell cut anywhere is still found, with what it shows."""
    with zipfile.ZipFile(error_returns[0]) as z:
        part = next(n for n in z.namelist() if n.startswith("xl/worksheets/") and b"#DIV/0!" in z.read(n))
        xml = z.read(part)
    with zipfile.ZipFile(error_returns[1]) as z:
        content = z.read("content.xml")
    cells = _ErrorCells()
    ods = _OdsExtent(5000, 200)
    for chunk in _chunked(xml, size):
        cells.feed(chunk)
    for chunk in _chunked(content, size):
        ods.feed(chunk)
    assert cells.found[(4, 3)] == "#DIV/0!" and cells.found[(6, 3)] == "#N/A"
    assert ods.errors["Finance"][(4, 3)] == "#DIV/0!" and ods.errors["Finance"][(6, 3)] == "#N/A"
    assert cells.found == ods.errors["Finance"]
