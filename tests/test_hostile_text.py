"""Nothing a partner types or names a file can stop the cycle.

A line break pasted from Word (Excel stores it as ``_x000B_``, a vertical tab),
NUL or ESC in a place name, a file name that is not UTF-8, an archived return
damaged after it was accepted: collect takes each in, says what it did, and every
later build and summary still runs.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import openpyxl
from conftest import GENERATED_AT
from conftest import sheet_values as values
from test_collect import NOW, make_return, status_of
from typer.testing import CliRunner

from nc_excel.cli import app
from nc_excel.excel.schema import HEADER_ROW, columns
from nc_excel.intake.archive import Register
from nc_excel.master.schema import ReturnRow
from nc_excel.partner.simulate import partner_entries
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace


def with_escapes(path: Path, marks: dict[str, str]) -> Path:
    """The workbook with each mark in its cell text replaced by an Excel escape such as ``_x000B_``,
    as Excel writes characters that XML cannot hold."""
    tmp = path.with_suffix(".tmp")
    replaced: set[str] = set()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/sharedStrings.xml" or info.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                for mark, escape in marks.items():
                    if mark in text:
                        replaced.add(mark)
                        text = text.replace(mark, escape)
                data = text.encode()
            zout.writestr(info, data)
    tmp.replace(path)
    assert replaced == set(marks), set(marks) - replaced
    return path


def test_control_characters_are_cleaned_reported_at_their_cell_and_never_stop_a_build(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    ws = Workspace.create(tmp_path / "project", demo_setup)
    ws.generate_templates(1, now=GENERATED_AT)
    path = make_return(ws, demo_setup, "AAL", overrides={("Progress", "E5"): "First part.VTABSecond part.", ("Living Labs", "A5"): "HarbourNULMARK LabESCMARK"})
    with_escapes(path, {"VTAB": "_x000B_", "NULMARK": "_x0000_", "ESCMARK": "_x001B_"})
    make_return(ws, demo_setup, "HOE")

    result = ws.collect(now=NOW)
    assert status_of(result, "AAL_report.xlsx") == "accepted with warnings"
    found = {(i.code, i.sheet, i.cell): i for c in result.collected for i in c.issues}
    assert found[("text-cleaned", "Progress", "E5")].message.startswith("Main achievements this period: the text held vertical tab")
    assert "NUL" in found[("text-cleaned", "Living Labs", "A5")].message and "ESC" in found[("text-cleaned", "Living Labs", "A5")].message

    built = ws.build(as_of=NOW.date(), period=1)
    assert built.left_out == []
    progress = values(ws.master, "Progress")
    header = progress[HEADER_ROW]
    row = next(r for r in progress[HEADER_ROW + 1:] if r[0] == "AAL" and r[header.index("Work package")] == "WP1")
    assert row[header.index("Achievements")] == "First part.\nSecond part."
    assert "Harbour Lab" in [r[2] for r in values(ws.master, "Living Labs")[HEADER_ROW + 1:]]
    assert ws.summary(1).workbook.is_file()


def test_a_file_name_that_is_not_utf8_is_collected_beside_an_honest_return(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    ws = Workspace.create(tmp_path / "project", demo_setup)
    ws.generate_templates(1, now=GENERATED_AT)
    odd = make_return(ws, demo_setup, "AAL")
    odd_name = os.fsencode(odd.parent) + b"/Bericht_Pr\xfcfung.xlsx"
    os.rename(odd, odd_name)
    make_return(ws, demo_setup, "HOE")

    result = ws.collect(now=NOW)
    assert len(result.collected) == 2 and all(c.entry.accepted for c in result.collected)
    names = [json.loads(line)["file"] for line in (ws.archive / "register.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "inbox/Bericht_Pr\ufffdfung.xlsx" in names and "inbox/HOE_report.xlsx" in names
    assert ws.collect(now=NOW).skipped == 2  # the next run knows both
    ws.build(as_of=NOW.date(), period=1)
    file_column = [c.name for c in columns(ReturnRow)].index("file")
    shown = [r[file_column] for r in values(ws.master, "Returns")[HEADER_ROW + 1:]]
    assert "inbox/Bericht_Pr\ufffdfung.xlsx" in shown


def test_a_damaged_archived_return_is_left_out_by_name_and_the_rest_is_built(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    ws = Workspace.create(tmp_path / "project", demo_setup)
    ws.generate_templates(1, now=GENERATED_AT)
    make_return(ws, demo_setup, "AAL")
    make_return(ws, demo_setup, "HOE")
    ws.collect(now=NOW)
    damaged = ws.resolve(next(e for e in Register(ws.root).current(1) if e.partner == "HOE").archived)
    damaged.chmod(0o644)
    damaged.write_bytes(b"PK\x03\x04 not a workbook any more")

    outcome = CliRunner().invoke(app, ["build", "--project", str(ws.root), "--as-of", NOW.date().isoformat(), "--period", "1"])
    assert outcome.exit_code == 1, outcome.output
    assert "could not be read and were left out" in outcome.output and "(HOE, period 1)" in outcome.output
    reported = {r[0] for r in values(ws.master, "Progress")[HEADER_ROW + 1:]}
    assert reported == {"AAL"}
    assert openpyxl.load_workbook(ws.master).sheetnames[:2] == ["Contents", "Dashboard"]


FORMULA_TEXT = '=HYPERLINK("http://example.org","see our site")'
LOOKS_LIKE_FORMULA = ("=", "+", "-", "@")


def text_cells_like_formulas(path: Path) -> tuple[list[str], list[str]]:
    """(quote-prefixed, not quote-prefixed) text cells of ``path`` that start like a formula.

    Excel (and LibreOffice) turn such a cell into a live formula when someone presses F2 and
    Enter on it, unless its format carries the quote prefix; openpyxl reads that attribute.
    """
    quoted, bare = [], []
    for sheet in openpyxl.load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "s" and isinstance(cell.value, str) and cell.value.startswith(LOOKS_LIKE_FORMULA):
                    (quoted if cell.quotePrefix else bare).append(f"{sheet.title}!{cell.coordinate}")
    return quoted, bare


def test_partner_text_that_looks_like_a_formula_stays_text_in_every_workbook(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    ws = Workspace.create(tmp_path / "project", demo_setup)
    ws.generate_templates(1, now=GENERATED_AT)
    labs = partner_entries(demo_setup, "AAL", 1).tables["LivingLabs"]
    labs[0] = {**labs[0], "description": "+45 98 76 54 32 is the lab's phone; call before visiting."}
    make_return(ws, demo_setup, "AAL", overrides={("Progress", "E5"): FORMULA_TEXT}, LivingLabs=labs)
    make_return(ws, demo_setup, "HOE", overrides={("Progress", "E5"): "@cluster: workshop held", ("Finance", "D7"): "1.234"})  # rejected: feedback
    ws.collect(now=NOW)
    ws.build(as_of=NOW.date(), period=1)
    board = ws.summary(1).workbook
    template = ws.generate_templates(2, ["AAL"], now=NOW)[0]  # carries AAL's places over
    feedback = next(ws.feedback(1).glob("*HOE*.xlsx"))

    for path in (ws.master, feedback, template, board):
        quoted, bare = text_cells_like_formulas(path)
        assert bare == [], f"{path.name}: text that becomes a formula when edited: {bare}"
    assert text_cells_like_formulas(ws.master)[0], "the master should hold AAL's =HYPERLINK text, or this test proves nothing"
    assert any(ref.startswith("Progress!") for ref in text_cells_like_formulas(feedback)[0])
    assert any(ref.startswith("Living Labs!") for ref in text_cells_like_formulas(template)[0])
