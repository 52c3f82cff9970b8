"""`nc-excel demo`: the first reporting cycle of Northern Connections, played end to end."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from nc_excel.cli import app
from nc_excel.demo import run_demo
from nc_excel.intake.archive import Register


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return run_demo(tmp_path_factory.mktemp("demo") / "nc-demo", pdf=False)


def verdicts(result) -> dict[str, tuple[str, set[tuple[str, str | None, str | None]]]]:
    return {c.path.name: (c.entry.status, {(i.code, i.sheet, i.cell) for i in c.issues}) for c in result.collected}


def test_first_collect_catches_the_typical_mistakes(demo) -> None:
    first = verdicts(demo.first)
    assert len(first) == 19  # two partners are late
    assert first["HOE_P1.xlsx"][0] == "rejected" and ("ambiguous-number", "Finance", "D7") in first["HOE_P1.xlsx"][1]
    assert first["SHL_P1.xlsx"][0] == "rejected" and ("completed-below-100", "Progress", "D5") in first["SHL_P1.xlsx"][1]
    assert first["RSD_P1.xlsx"][0] == "rejected" and ("future-period", "Start", None) in first["RSD_P1.xlsx"][1]
    for tolerated in ("AAR_P1.xlsx", "BRG_P1.xlsx", "OSL_P1.xlsx", "CLN_P1.xlsx"):  # renamed sheet, text date, formula text
        assert first[tolerated][0].startswith("accepted"), first[tolerated]
    assert any(code == "duplicate-candidate" for code, _, _ in first["EEH_P1.xlsx"][1])


def test_corrections_and_late_returns_are_accepted(demo) -> None:
    second = verdicts(demo.second)
    assert set(second) == {"HOE_P1_corrected.xlsx", "SHL_P1_corrected.xlsx", "RSD_P1.xlsx", "FKC_P1.xlsx"}
    assert all(status.startswith("accepted") for status, _ in second.values())
    register = Register(demo.root)
    assert {e.partner for e in register.current(1)} == {p for p in _partners() if p != "SCE"}


def _partners() -> list[str]:
    from nc_excel.setup.demo import PARTNERS

    return [p[0] for p in PARTNERS]


def test_master_tells_the_story_of_mid_october_2017(demo) -> None:
    m = demo.master
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
    again = run_demo(tmp_path / "again", pdf=False)
    assert digest_tree(again.root) == digest_tree(demo.root)
    assert [e.sha256 for e in Register(again.root).entries] == [e.sha256 for e in Register(demo.root).entries]


def test_demo_refuses_a_folder_with_a_project(demo) -> None:
    run = CliRunner().invoke(app, ["demo", str(demo.root), "--no-pdf"])
    assert run.exit_code == 2 and "already holds a project" in run.output
