"""`nc-excel demo`: the first reporting cycle of Northern Connections, played end to end."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from sheet_refs import computed, error_cells, missing_count_cell, still_naming
from test_trends import SHEET_CELL, board_texts
from typer.testing import CliRunner

import nc_excel
from nc_excel.cli import app
from nc_excel.demo import AS_OF, RENAMED_SHEET, SEED, DemoResult
from nc_excel.intake.archive import Register
from nc_excel.partner.schema import template_name
from nc_excel.partner.simulate import fill_workbook, partner_entries
from nc_excel.workspace import Workspace


@pytest.fixture(scope="module")
def demo(demo_played: dict[int, DemoResult]) -> DemoResult:
    """The one-period demo (the shared demo as period 1 ended: test_the_demo_is_deterministic shows it is the same)."""
    return demo_played[1]


def verdicts(result) -> dict[str, tuple[str, set[tuple[str, str | None, str | None]]]]:
    return {c.path.name: (c.entry.status, {(i.code, i.sheet, i.cell) for i in c.issues}) for c in result.collected}


def test_first_collect_catches_the_typical_mistakes(demo) -> None:
    first = verdicts(demo.periods[1].first)
    assert len(first) == 19  # two partners are late
    assert first["HOE_P1.xlsx"][0] == "rejected" and ("ambiguous-number", "Finance", "D7") in first["HOE_P1.xlsx"][1]
    assert first["SHL_P1.xlsx"][0] == "rejected" and ("completed-below-100", "Progress", "D5") in first["SHL_P1.xlsx"][1]
    assert first["RSD_P1.xlsx"][0] == "rejected" and ("future-period", "Start", None) in first["RSD_P1.xlsx"][1]
    for tolerated in ("AAR_P1.xlsx", "BRG_P1.xlsx", "OSL_P1.xlsx", "CLN_P1.xlsx"):  # renamed sheet, text date, formula text
        assert first[tolerated][0].startswith("accepted"), first[tolerated]
    # EEH proposes FHH's place again; its file comes first in the inbox, so FHH is the one told
    assert any(code == "place-proposed-before" for code, _, _ in first["FHH_P1.xlsx"][1])
    assert not any(code == "place-proposed-before" for code, _, _ in first["EEH_P1.xlsx"][1])


def renamed_return(demo) -> tuple[str, str, str, Path]:
    """(partner, old sheet, new sheet, file) of the partner who renames a sheet in the demo."""
    [(partner, (old, new))] = RENAMED_SHEET.items()
    return partner, old, new, demo.root / "inbox" / "2017-10-13" / f"{partner}_P1.xlsx"


def test_the_renamed_sheet_is_renamed_as_excel_renames_it(demo) -> None:
    _, old, new, path = renamed_return(demo)
    assert new in openpyxl.load_workbook(path).sheetnames
    assert still_naming(path, old) == []
    collected = next(c for c in demo.periods[1].first.collected if c.path.name == path.name)
    assert collected.entry.status.startswith("accepted") and collected.ret.sheets["Progress"] == new


def test_libreoffice_counts_the_missing_inputs_of_the_renamed_return(demo, tmp_path: Path) -> None:
    from lo.lo import convert, require_soffice

    require_soffice()
    partner, _, _, renamed = renamed_return(demo)
    project = Workspace.open(demo.root)
    setup = project.setup()
    unrenamed = fill_workbook(project.outbox(1) / template_name(setup, 1, partner), tmp_path / "unrenamed.xlsx",
                              partner_entries(setup, partner, 1, seed=SEED, as_of=AS_OF), setup)
    after, before = convert([renamed, unrenamed], "xlsx", tmp_path / "lo")
    sheet, cell = missing_count_cell(after)
    assert error_cells(after) == []
    count = computed(after, sheet, cell)
    assert isinstance(count, (int, float)) and count == computed(before, sheet, cell)


def test_corrections_and_late_returns_are_accepted(demo) -> None:
    second = verdicts(demo.periods[1].second)
    assert set(second) == {"HOE_P1_corrected.xlsx", "SHL_P1_corrected.xlsx", "RSD_P1.xlsx", "FKC_P1.xlsx"}
    assert all(status.startswith("accepted") for status, _ in second.values())
    register = Register(demo.root)
    assert {e.partner for e in register.current(1)} == {p for p in _partners() if p != "SCE"}


def _partners() -> list[str]:
    from nc_excel.setup.demo import PARTNERS

    return [p[0] for p in PARTNERS]


def test_master_tells_the_story_of_mid_october_2017(demo) -> None:
    m = demo.periods[1].master
    assert m.as_of.isoformat() == "2017-10-16" and m.period == 1
    assert m.candidates >= 150
    assert all(n == 2 for n in m.shortlisted.values()), m.region_flags
    book = CalamineWorkbook.from_path(str(demo.root / "master.xlsx"))
    dashboard = {row[0]: row[1] for row in book.get_sheet_by_name("Dashboard").to_python() if row and row[0]}
    book.close()
    assert dashboard["Returns missing"] == "SCE"
    assert (dashboard["Returns received"], dashboard["Partners"]) == (20, 21)


def digest_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "inbox").rglob("*.xlsx"))}


def test_the_demo_is_deterministic(demo, tmp_path: Path) -> None:
    """``nc-excel demo`` played again writes the same returns and registers them in the same order."""
    run = CliRunner().invoke(app, ["demo", str(tmp_path / "again"), "--no-pdf"])
    assert run.exit_code == 0, run.output
    assert digest_tree(tmp_path / "again") == digest_tree(demo.root)
    assert [e.sha256 for e in Register(tmp_path / "again").entries] == [e.sha256 for e in Register(demo.root).entries]


def test_demo_refuses_a_folder_with_a_project(demo) -> None:
    run = CliRunner().invoke(app, ["demo", str(demo.root), "--no-pdf"])
    assert run.exit_code == 2 and "already holds a project" in run.output


def test_the_board_leaves_replaced_files_and_cell_references_to_the_master(demo) -> None:
    """RSD's first file (the period-2 template, rejected) was answered by a good period-1 return: its errors are not open."""
    issues = [r for r in CalamineWorkbook.from_path(str(demo.root / "master.xlsx")).get_sheet_by_name("Issues").to_python()[4:] if r[0]]
    assert not [r for r in issues if r[0] == "RSD" and r[5] == "error"]
    assert not [r for r in issues if r[0] in ("HOE", "SHL") and r[5] == "error"]  # corrected in the second collect
    texts = board_texts(demo.root / "board" / "NC_board_P1.xlsx")
    assert "Accepted with 1 warning." in texts and not [t for t in texts if t.startswith("Return rejected")]
    assert not [t for t in texts if ("RSD" in t and "error" in t) or "template of reporting period" in t]
    assert not [t for t in texts if SHEET_CELL.search(t)]


def test_the_partners_workers_start_without_the_coordinators_side(tmp_path: Path) -> None:
    """The fork server imports the demo's module for the partners before it forks the first worker (the
    templates'): the workspace, the master's modules, pandas and openpyxl must not come with it."""
    code = "import sys, nc_excel.demo; print(' '.join(sys.modules))"
    env = {**os.environ, "PYTHONPATH": str(Path(nc_excel.__file__).resolve().parents[1])}  # the tree under test, in a fresh process
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path, env=env).stdout.split()
    assert "nc_excel.demo" in loaded
    assert not [m for m in loaded if m in ("nc_excel.workspace", "pandas", "openpyxl") or m.startswith("nc_excel.master")]
