"""The master as people read it: on screen (the Dashboard, columns folded away) and printed by LibreOffice."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import statistics
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import GENERATED_AT, sheet_values
from openpyxl.utils import column_index_from_string
from test_collect import make_return
from test_templates import LONG_ANSWER

from nc_excel.excel.libreoffice import convert
from nc_excel.excel.schema import HEADER_ROW
from nc_excel.excel.write import Styles, new_workbook, print_setup
from nc_excel.partner.simulate import partner_entries
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

AS_OF = dt.date(2017, 10, 16)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, demo_setup: ProjectSetup) -> Workspace:
    """Every partner has reported for period 1, AAL with a 1,900-character account of its first work package; the master is built."""
    ws = Workspace.create(tmp_path_factory.mktemp("print") / "project", demo_setup)
    ws.generate_templates(1, now=GENERATED_AT)
    for p in demo_setup.partners:
        if p.code == "AAL":
            progress = partner_entries(demo_setup, "AAL", 1).tables["Progress"]
            progress[0]["achievements"] = LONG_ANSWER
            make_return(ws, demo_setup, "AAL", Progress=progress)
        else:
            make_return(ws, demo_setup, p.code)
    ws.collect(now=dt.datetime(2017, 10, 14, 9))
    ws.build(as_of=AS_OF)
    return ws


def header_of(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, str]:
    """A rebuilt sheet's header: its text -> its column letter."""
    return {c.value: c.column_letter for c in ws[HEADER_ROW + 1] if c.value}


def folded(ws: openpyxl.worksheet.worksheet.Worksheet, letter: str) -> bool:
    """Whether a column is hidden in an outline group (openpyxl keeps neighbouring columns alike as one dimension)."""
    index = column_index_from_string(letter)
    dim = next((d for d in ws.column_dimensions.values() if d.min is not None and d.min <= index <= d.max), None)
    return dim is not None and bool(dim.hidden) and dim.outlineLevel == 1


def test_provenance_columns_fold_away_at_the_right_edge_and_stay_off_paper(built: Workspace) -> None:
    wb = openpyxl.load_workbook(built.master)
    for sheet, aside in (("Returns", ["SHA-256", "Archived as", "Feedback workbook"]), ("Issues", ["Code", "Issue key"]),
                         ("Progress", ["Source file", "SHA-256"]), ("FLC certificates", ["Source file", "SHA-256"]),
                         ("Living Labs", ["Place key", "Source file", "SHA-256"])):
        ws = wb[sheet]
        columns = header_of(ws)
        last_printed = column_index_from_string(re.findall(r"\$([A-Z]+)\$", ws.print_area)[-1])
        positions = [column_index_from_string(columns[h]) for h in aside]
        assert min(positions) > last_printed, sheet  # outside the print area
        assert max(column_index_from_string(c) for c in columns.values()) in positions, sheet  # the table ends with them
        assert all(folded(ws, columns[h]) for h in aside), sheet
        assert not any(folded(ws, c) for c in columns.values() if column_index_from_string(c) <= last_printed), sheet


def test_the_dashboard_shows_the_state_at_a_glance_with_links_and_charts(built: Workspace) -> None:
    wb = openpyxl.load_workbook(built.master)
    ws = wb["Dashboard"]
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink is not None}
    assert links == {"Returns in": "'Returns'!A1", "Open issues": "'Issues'!A1", "FLC certified": "'FLC certificates'!A1",
                     "Spending against budget": "'Finance position'!A1", "Deliverables": "'Schedule'!A1", "Living labs": "'Living Labs'!A1"}
    tiles = {c.value: ws.cell(c.row + 1, c.column).value for row in ws.iter_rows() for c in row if c.hyperlink is not None}
    key_figures = {row[0]: row[1] for row in sheet_values(built.master, "Dashboard") if row and row[0]}
    assert tiles["Returns in"] == key_figures["Returns received"] == 21 and tiles["Deliverables"] == key_figures["Deliverables done"]
    wp = [row[0].value for row in ws.iter_rows() if isinstance(row[0].value, str) and row[0].value.startswith("WP")]
    assert len(wp) == 6 and wp[0] == "WP1 Project management and coordination"
    with zipfile.ZipFile(built.master) as z:
        drawing = next(n for n in z.namelist() if n.startswith("xl/drawings/drawing") and "Line chart" in z.read(n).decode())
        text = z.read(drawing).decode()
    assert 'descr="Line chart: the spending declared' in text and 'descr="Column chart: per period, the partners whose return' in text
    assert ws.print_area and ws.page_setup.orientation == "landscape"


def test_every_sheet_has_a_page_setup(built: Workspace) -> None:
    """A4, fitted to the width, with the header saying which master, including the setup and Settings sheets."""
    wb = openpyxl.load_workbook(built.master)
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert "&P of &N" in str(ws.oddFooter.right.text), ws.title
        assert ws.oddHeader.left.text, ws.title


def test_a_setup_sheet_without_a_page_setup_gets_the_house_one(built: Workspace, tmp_path: Path) -> None:
    """A master from before the Settings sheet had a page setup: the rebuild gives it the master's."""
    project = Workspace(Path(shutil.copytree(built.root, tmp_path / "project")))
    wb = openpyxl.load_workbook(project.master)
    settings = wb["Settings"]
    settings.page_setup.paperSize = settings.page_setup.orientation = None
    settings.sheet_properties.pageSetUpPr = None
    settings.oddHeader.left.text = settings.oddHeader.right.text = settings.oddFooter.left.text = settings.oddFooter.right.text = None
    wb.save(project.master)
    assert openpyxl.load_workbook(project.master)["Settings"].page_setup.paperSize is None
    project.build(as_of=AS_OF)
    settings = openpyxl.load_workbook(project.master)["Settings"]
    assert settings.page_setup.paperSize == 9 and settings.sheet_properties.pageSetUpPr.fitToPage
    assert settings.oddHeader.left.text.endswith("NC master, period 1, as of 16 October 2017")


# ---------------------------------------------------------------- printed by LibreOffice


def page_words(pdf: Path) -> list[list[tuple[float, float, str]]]:
    """Each page's words inside the margins (the header and footer are never scaled): (top, height, word)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        words = [(float(y0), float(y1) - float(y0), w) for y0, y1, w in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)]
        pages.append([w for w in words if 45 < w[0] < height - 45])
    return pages


def body_height(words: list[tuple[float, float, str]]) -> float:
    """The height of most words of a page: the 10-point body text, as large as the page is printed."""
    return statistics.median(h for _, h, _ in words)


@pytest.fixture(scope="module")
def printed(built: Workspace, demo_setup: ProjectSetup, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The master printed to PDF by LibreOffice, and the height of 10-point text printed at 100 % by the same LibreOffice."""
    from lo.lo import require_soffice

    require_soffice()
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed")
    out = tmp_path_factory.mktemp("pdf")
    calibration = out / "calibration.xlsx"
    wb = new_workbook(calibration)
    ws = wb.add_worksheet("Text")
    styles = Styles(wb)
    for r in range(30):
        ws.write_string(r, 0, "ten point body text in the house font", styles.fmt("plain"))
    ws.set_column(0, 0, 40)
    print_setup(ws, header="calibration")
    wb.close()
    convert([built.master, calibration], "pdf", out, timeout=600)
    return out / "master.pdf", body_height(page_words(out / "calibration.pdf")[0])


def test_a_long_answer_prints_whole_in_the_master(printed: tuple[Path, float]) -> None:
    pdf, _ = printed
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert " ".join(LONG_ANSWER.split()) in " ".join(text.split())


def test_no_page_of_the_master_is_printed_below_60_percent(printed: tuple[Path, float]) -> None:
    pdf, full_size = printed
    scales = [round(body_height(words) / full_size, 2) for words in page_words(pdf) if len(words) >= 5]
    assert len(scales) > 30
    assert min(scales) >= 0.6, [(n, s) for n, s in enumerate(scales, start=1) if s < 0.6]  # (page, scale)

