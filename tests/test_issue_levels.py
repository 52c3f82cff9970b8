"""Issue levels: each code says what it is about (a file, a sheet, a row or a cell),
and every issue names the place its level needs, so that the person who must fix
it can find it and scripts can group by it.

The end-to-end checks drop the hostile and awkward returns of test_collect and
test_intake_files into one inbox, and take the demo played through period 3, then
read what collect recorded (``archive/register.jsonl``) issue by issue.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import DEMO_THROUGH, GENERATED_AT, copy_project
from test_collect import CELL_CASES, META_CASES, NOW, codes_at, make_return
from test_intake_files import BILLION_LAUGHS, SHEET1, cfb, part, rezip, with_cells

from nc_excel.demo import DemoResult
from nc_excel.intake.collect import CollectResult
from nc_excel.issues import CATALOGUE, Issue, Level, issue
from nc_excel.partner.simulate import partner_entries
from nc_excel.setup.models import ProjectSetup
from nc_excel.setup.sheets import read_setup
from nc_excel.workspace import Workspace

FILE, SHEET, ROW, CELL = Level.FILE, Level.SHEET, Level.ROW, Level.CELL
NEEDS = {FILE: (), SHEET: ("sheet",), ROW: ("sheet",), CELL: ("sheet", "cell")}


def misplaced(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issues (as recorded in JSON) that state another level than their code's, or lack what it needs."""
    return [
        r for r in records
        if r.get("level") != CATALOGUE[r["code"]].level or any(not r.get(name) for name in NEEDS[CATALOGUE[r["code"]].level])
    ]


def register_issues(root: Path) -> list[dict[str, Any]]:
    lines = (root / "archive" / "register.jsonl").read_text(encoding="utf-8").splitlines()
    return [i for line in lines if line.strip() for i in json.loads(line)["issues"]]


# --------------------------------------------------------------------------- the catalogue and issue()


def test_the_catalogue_gives_every_code_a_level() -> None:
    assert all(isinstance(kind.level, Level) for kind in CATALOGUE.values())
    assert {kind.level for kind in CATALOGUE.values()} == set(Level)
    examples = {
        "encrypted-file": FILE, "digest-mismatch": FILE, "future-period": FILE,
        "missing-sheet": SHEET, "missing-column": SHEET, "setup-empty": SHEET,
        "duplicate-candidate": ROW, "place-proposed-before": ROW,
        "not-a-number": CELL, "required": CELL, "flat-rate-mismatch": CELL, "stray-cell": CELL, "extra-column": CELL,
    }
    assert {code: CATALOGUE[code].level for code in examples} == examples


def test_issue_refuses_a_cell_level_code_without_its_sheet_and_cell() -> None:
    with pytest.raises(ValueError, match=r"'required' is a cell-level code .* cell not given"):
        issue("required", field="Achievements", sheet="Progress")
    with pytest.raises(ValueError, match="sheet not given"):
        issue("not-a-number", field="Declared", value="about 300", cell="D7")
    with pytest.raises(ValueError, match="sheet"):
        issue("missing-sheet", table="Progress")
    with pytest.raises(ValueError, match="sheet"):
        issue("duplicate-candidate", value="Lab", municipality="Aarhus", by="")
    made = issue("required", field="Achievements", sheet="Progress", cell="E5")
    assert (made.level, made.sheet, made.cell) == (CELL, "Progress", "E5")
    assert issue("missing-sheet", sheet="Indicators", table="Indicators").level is SHEET
    assert issue("duplicate-candidate", sheet="Living Labs", value="Lab", municipality="Aarhus", by="").level is ROW
    assert issue("encrypted-file", file="report.xlsx").level is FILE  # the file's name is all a file-level issue needs


def test_the_level_is_part_of_the_record_and_old_records_read() -> None:
    made = issue("stray-cell", file="r.xlsx", sheet="Start", cell="B70000")
    record = made.model_dump(mode="json")
    assert record["level"] == "cell"
    assert Issue.model_validate_json(made.model_dump_json()).level is CELL
    del record["level"]  # a register written before issues had levels
    assert Issue.model_validate(record).level is CELL


# --------------------------------------------------------------------------- hostile and awkward returns, collected


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, demo_project: Workspace, demo_setup: ProjectSetup) -> tuple[Workspace, CollectResult]:
    """One inbox with every kind of bad return the other tests make, collected once."""
    ws = copy_project(demo_project, tmp_path_factory.mktemp("levels"))  # the period-1 templates sent
    ws.generate_templates(2, ["RSD"], now=GENERATED_AT)
    inbox, template = ws.root / "inbox", ws.outbox(1) / "NC_P1_AAL.xlsx"
    for n, (_, overrides, *_) in enumerate(CELL_CASES):  # mistakes at cells
        make_return(ws, demo_setup, "AAR", f"cell_{n:02}.xlsx", overrides=overrides)
    for n, (_, changes, _) in enumerate(META_CASES):  # whose return it is
        path = make_return(ws, demo_setup, "FKC", f"meta_{n}.xlsx")
        wb = openpyxl.load_workbook(path)
        for ref, value in changes.items():
            wb["_nc_meta"][ref] = value
        wb.save(path)
    make_return(ws, demo_setup, "RSD", "future.xlsx", period=2)
    # whole columns, labels and sheets gone
    make_return(ws, demo_setup, "BRG", "no_date_column.xlsx", overrides={("Deliverables", "G4"): None, ("Deliverables", "F5"): "Done"})
    make_return(ws, demo_setup, "BRG", "renamed_column.xlsx", overrides={("Progress", "E4"): "Notes"})
    make_return(ws, demo_setup, "BRG", "no_declared_column.xlsx", overrides={("Finance", "D4"): None})
    make_return(ws, demo_setup, "BRG", "no_certified_label.xlsx", overrides={("Finance", "A16"): None, ("Finance", "B15"): "Certified"})
    path = make_return(ws, demo_setup, "BRG", "no_indicators.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["Indicators"]
    wb.save(path)
    # the same place proposed by two partners
    place = partner_entries(demo_setup, "FHH", 1).tables["LivingLabs"][0]
    make_return(ws, demo_setup, "FHH")
    make_return(ws, demo_setup, "EEH", LivingLabs=[{**place, "name": place["name"].upper()}, *partner_entries(demo_setup, "EEH", 1).tables["LivingLabs"]])
    shutil.copy(inbox / "cell_00.xlsx", inbox / "cell_00 (copy).xlsx")
    # files that are no return at all
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Our own report"
    wb.save(inbox / "own.xlsx")
    (inbox / "empty.xlsx").write_bytes(b"")
    (inbox / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    (inbox / "noise.xlsx").write_bytes(random.Random(1).randbytes(5000))
    (inbox / "secret.xlsx").write_bytes(cfb({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00", "EncryptedPackage": bytes(600)}))
    with_cells(template, inbox / "far.xlsx", b'<row r="70000"><c r="B70000"><v>1</v></c></row>')
    with_cells(template, inbox / "bomb.xlsx", b" " * (3 << 20))
    laughs = BILLION_LAUGHS + part(template, SHEET1).split(b"\n", 1)[1]
    rezip(template, inbox / "lol.xlsx", {SHEET1: laughs})
    types = part(template, "[Content_Types].xml").replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rezip(template, inbox / "macro.xlsm", {"[Content_Types].xml": types}, {"xl/vbaProject.bin": cfb({"VBA": b"Sub AutoOpen()\nEnd Sub\n"})})
    return ws, ws.collect(now=NOW)


def test_every_collected_issue_names_what_its_level_needs(hostile) -> None:
    ws, result = hostile
    found = [i.model_dump(mode="json") for c in result.collected for i in c.issues]
    recorded = register_issues(ws.root)
    assert len(recorded) == len(found)
    assert misplaced(found) == [] and misplaced(recorded) == []
    codes = {i["code"] for i in recorded}
    assert {code for _, _, code, _, _ in CELL_CASES} | {code for _, _, code in META_CASES} <= codes
    assert {
        "future-period", "missing-column", "extra-column", "missing-sheet", "place-proposed-before", "duplicate-file", "no-metadata",
        "empty-file", "corrupt-file", "not-a-spreadsheet", "encrypted-file", "stray-cell", "zip-bomb", "xml-entities", "macros-ignored",
    } <= codes
    assert {i["level"] for i in recorded} == {"file", "sheet", "row", "cell"}


def test_a_missing_column_is_said_once_at_its_header_not_on_every_row(hostile) -> None:
    _, result = hostile
    no_date = codes_at(result, "no_date_column.xlsx")
    assert ("missing-column", "Deliverables", "A4") in no_date
    assert not any(code == "done-without-date" for code, _, _ in no_date)  # Done, but the Date column itself is gone
    renamed = codes_at(result, "renamed_column.xlsx")
    assert {("missing-column", "Progress", "A4"), ("extra-column", "Progress", "E4")} <= renamed
    assert not any(code == "required" for code, _, _ in renamed)
    no_declared = codes_at(result, "no_declared_column.xlsx")
    assert ("missing-column", "Finance", "A4") in no_declared
    assert not any(code in ("required", "over-budget", "over-budget-limit") for code, _, _ in no_declared)
    assert all(status.startswith("rejected") for status in (
        next(c.entry.status for c in result.collected if c.path.name == name)
        for name in ("no_date_column.xlsx", "renamed_column.xlsx", "no_declared_column.xlsx", "no_indicators.xlsx")
    ))
    assert ("missing-sheet", "Indicators", None) in codes_at(result, "no_indicators.xlsx")


def test_a_form_label_that_is_gone_points_at_the_cell_the_finding_rests_on(hostile) -> None:
    _, result = hostile
    # "Certified amount" lost its label, so its cell is unknown: the FLC status that says Certified is where to look
    assert ("certified-without-amount", "Finance", "B15") in codes_at(result, "no_certified_label.xlsx")


# --------------------------------------------------------------------------- the setup sheets


def test_setup_issues_name_what_their_level_needs(demo_project: Workspace, tmp_path: Path) -> None:
    master = shutil.copy(demo_project.master, tmp_path / "master.xlsx")
    wb = openpyxl.load_workbook(master)
    wb["Partners"]["B6"] = "AAL"  # duplicate key
    wb["Periods"]["C5"] = "not a date"
    wb["Deliverables"]["B5"] = "WP9"  # unknown reference
    wb["Criteria"]["D4"] = "Importance"  # the Weight column renamed away
    wb["Partners"]["H4"] = "Function"  # the Role column renamed away
    del wb["Regions"]
    wb.save(master)
    setup, issues = read_setup(master)
    assert setup is None
    found = {(i.code, i.sheet, i.cell) for i in issues}
    assert {
        ("setup-duplicate-key", "Partners", "B6"), ("not-a-date", "Periods", "C5"), ("missing-sheet", "Regions", None),
        ("missing-column", "Criteria", "A4"), ("extra-column", "Criteria", "D4"), ("missing-column", "Partners", "A4"),
    } <= found
    assert not any(code in ("setup-weight-not-positive", "setup-lead-partner") for code, _, _ in found)  # the columns are gone, not wrong
    assert misplaced([i.model_dump(mode="json") for i in issues]) == []


# --------------------------------------------------------------------------- the demo


def test_every_issue_of_the_demo_names_what_its_level_needs(demo_played: dict[int, DemoResult]) -> None:
    recorded = register_issues(demo_played[DEMO_THROUGH].root)  # every collect of periods 1 to 3
    assert recorded and misplaced(recorded) == []
    assert {"file", "row", "cell"} <= {i["level"] for i in recorded}
